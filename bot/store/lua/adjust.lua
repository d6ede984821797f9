-- An admin adjustment, once per key: a positive amount is a new lot, a negative one is taken
-- FIFO by expiry; refused (not capped) if it would take the balance below zero.
-- KEYS: the ledger keys (see ledger_common.lua), then the day's figures
-- ARGV[4] op key, ARGV[5] fingerprint, ARGV[6] signed amount, ARGV[7] new lot expiry (unix s),
-- ARGV[8] reason
-- Returns {status, balance}; status: applied | replayed | conflict | insufficient | no_member
local key, fingerprint, delta = ARGV[4], ARGV[5], tonumber(ARGV[6])
local done = redis.call('HGET', OPS, key)
if done then
  local rec = cjson.decode(done)
  if rec.fp ~= fingerprint then return {'conflict', 0} end
  return {'replayed', rec.bal}
end
if not maintain() then return {'no_member', 0} end
local balance = get_int('balance')
if delta < 0 and -delta > balance then return {'insufficient', balance} end
if delta > 0 then
  add_lot(delta, tonumber(ARGV[7]), 'adjustment', key)
elseif delta < 0 then
  consume(-delta)
end
balance = get_int('balance')
record('adjust', delta, balance, {'r', ARGV[8], 'ref', key})
count('adjusted', delta)
redis.call('HSET', OPS, key, cjson.encode({fp = fingerprint, bal = balance, at = NOW}))
return {'applied', balance}
