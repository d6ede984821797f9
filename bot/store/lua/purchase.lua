-- A POS purchase, exactly once: redeem points_used (FIFO by expiry) and grant the earned
-- points as a new lot, in one step. Guarded by its own idempotency key inside the script, so a
-- client retry of EVALSHA changes nothing.
-- KEYS: the ledger keys (see ledger_common.lua)
-- ARGV[4] op key, ARGV[5] body fingerprint, ARGV[6] amount, ARGV[7] points used,
-- ARGV[8] earn points, ARGV[9] per JPY, ARGV[10] rounding, ARGV[11] exclude used (1/0),
-- ARGV[12] new lot expiry (unix s), ARGV[13] store id, ARGV[14] transaction id
-- Returns {status, balance, earned, used, spend}; status: applied | replayed | conflict |
-- insufficient | no_member
local key, fingerprint = ARGV[4], ARGV[5]
local amount, used = tonumber(ARGV[6]), tonumber(ARGV[7])
local done = redis.call('HGET', OPS, key)
if done then
  local rec = cjson.decode(done)
  if rec.fp ~= fingerprint then return {'conflict', 0, 0, 0, 0} end
  return {'replayed', rec.bal, rec.earned, rec.used, rec.spend}
end
if not maintain() then return {'no_member', 0, 0, 0, 0} end
local balance = get_int('balance')
if used > balance then return {'insufficient', balance, 0, used, get_int('spend')} end
local store, txn = ARGV[13], ARGV[14]
local _, num, den = tier_for(get_int('spend'))
local taken = {}
if used > 0 then
  taken = consume(used)
  record('redeem', -used, balance - used, {'s', store, 'ref', txn})
end
local eligible = amount
if ARGV[11] == '1' then eligible = amount - used end
local earned = divide(eligible * tonumber(ARGV[8]) * num, tonumber(ARGV[9]) * den, ARGV[10])
local lot = ''
if earned > 0 then
  lot = add_lot(earned, tonumber(ARGV[12]), 'purchase', txn)
  record('earn', earned, get_int('balance'), {'s', store, 'ref', txn, 'x', ARGV[12]})
end
local spend = get_int('spend') + amount
redis.call('HSET', MEMBER, 'spend', spend)
redis.call('ZADD', SPEND, NOW, key .. '|' .. amount)
balance = get_int('balance')
redis.call('HSET', OPS, key, cjson.encode({fp = fingerprint, bal = balance, earned = earned,
  used = used, spend = spend, amount = amount, taken = taken, lot = lot, at = NOW}))
return {'applied', balance, earned, used, spend}
