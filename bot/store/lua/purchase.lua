-- A POS purchase, exactly once: claim the card code, redeem points_used (FIFO by expiry) and
-- grant the earned points as a new lot, in one step; then say what the receipt needs. Guarded
-- by its own idempotency key inside the script, so a client retry of EVALSHA changes nothing.
-- The earn rule is applied in Python (bot/domain/points.py): ARGV[8] holds the points earned
-- at each rank tier, and the script picks the tier the member's window spend reaches.
-- KEYS[1..6]: the ledger keys (see ledger_common.lua); KEYS[7] the card code's use record,
-- KEYS[8] the member's outbox (pushes to queue, see bot/jobs/outbox.py)
-- ARGV[4] op key, ARGV[5] body fingerprint, ARGV[6] amount, ARGV[7] points used,
-- ARGV[8] points earned per tier "e1;e2;...", ARGV[9] new lot expiry (unix s), ARGV[10] store
-- id, ARGV[11] transaction id, ARGV[12] code claim ('' when the code is not claimed: a static
-- code, or a retry of a bound transaction), ARGV[13] TTL of the code's use record (s),
-- ARGV[14] the receipt's retry key ('' for no receipt), ARGV[15] the receipt job as JSON
-- ({kind, urgent, payload}) without the closing braces of payload and job: the script adds
-- the points to the payload and closes both; ARGV[16] '1': replay only (the card code did not
-- check out, so only an earlier application of this key may be given back)
-- Returns {status, balance, earned, used, spend, member number, active (1/0), receipt written
-- to the outbox (1/0)}; status: applied | replayed | conflict | insufficient | no_member |
-- code_used | unverified
local key, fingerprint = ARGV[4], ARGV[5]
local amount, used = tonumber(ARGV[6]), tonumber(ARGV[7])
local function answer(status, balance, earned, spent, spend, written)
  local number, state = unpack(redis.call('HMGET', MEMBER, 'number', 'status'))
  return {status, balance, earned, spent, spend, number or '', state == 'active' and 1 or 0,
          written or 0}
end
local done = redis.call('HGET', OPS, key)
if done then
  local rec = cjson.decode(done)
  if rec.fp ~= fingerprint then return answer('conflict', 0, 0, 0, 0) end
  return answer('replayed', rec.bal, rec.earned, rec.used, rec.spend)
end
if ARGV[16] == '1' then return {'unverified', 0, 0, 0, 0, '', 0, 0} end
if not maintain() then return {'no_member', 0, 0, 0, 0, '', 0, 0} end
local balance = get_int('balance')
if used > balance then return answer('insufficient', balance, 0, used, get_int('spend')) end
local claim = ARGV[12]
if claim ~= '' then
  -- A rotating code serves one transaction; the same claim (a retry) may take it again.
  if redis.call('SET', KEYS[7], claim, 'NX', 'EX', ARGV[13]) then
    -- A new code on the next card refresh, even within the same step.
    redis.call('HINCRBY', MEMBER, 'code_counter', 1)
  elseif redis.call('GET', KEYS[7]) ~= claim then
    return answer('code_used', balance, 0, 0, get_int('spend'))
  end
end
local store, txn = ARGV[10], ARGV[11]
local earned_by_tier = {}
for points in string.gmatch(ARGV[8], '%d+') do earned_by_tier[#earned_by_tier + 1] = points end
local earned = tonumber(earned_by_tier[tier_for(get_int('spend'))])
local taken = {}
if used > 0 then
  taken = consume(used)
  record('redeem', -used, balance - used, {'s', store, 'ref', txn})
end
local lot = ''
if earned > 0 then
  lot = add_lot(earned, tonumber(ARGV[9]), 'purchase', txn)
  record('earn', earned, get_int('balance'), {'s', store, 'ref', txn, 'x', ARGV[9]})
end
local spend = get_int('spend') + amount
redis.call('HSET', MEMBER, 'spend', spend)
redis.call('ZADD', SPEND, NOW, key .. '|' .. amount)
balance = get_int('balance')
redis.call('HSET', OPS, key, cjson.encode({fp = fingerprint, bal = balance, earned = earned,
  used = used, spend = spend, amount = amount, taken = taken, lot = lot, at = NOW}))
-- The receipt, in the same step as the sale: whatever crashes later, it is not lost.
local written = 0
if ARGV[14] ~= '' and redis.call('HGET', MEMBER, 'status') == 'active' then
  redis.call('HSET', KEYS[8], ARGV[14], ARGV[15] .. string.format(
    ',"points_earned":%d,"points_used":%d,"balance":%d}}', earned, used, balance))
  written = 1
end
return answer('applied', balance, earned, used, spend, written)
