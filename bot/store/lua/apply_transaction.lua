-- Apply a POS purchase to a member exactly once: redeem points_used, then grant points_earned.
-- Guarded by its own idempotency key, so a client retry of this script changes nothing.
-- KEYS[1] member hash, KEYS[2] member transaction hash
-- ARGV[1] body fingerprint, ARGV[2] amount, ARGV[3] points earned, ARGV[4] points used,
-- ARGV[5] store id, ARGV[6] transaction id, ARGV[7] now (unix ms)
-- Returns {status, balance, points earned, points used} where status is
-- 'applied' | 'replayed' | 'conflict' | 'insufficient' | 'no_member'
local recorded = redis.call('HMGET', KEYS[2], 'fingerprint', 'balance', 'earned', 'used')
if recorded[1] then
  if recorded[1] ~= ARGV[1] then
    return {'conflict', 0, 0, 0}
  end
  return {'replayed', tonumber(recorded[2]), tonumber(recorded[3]), tonumber(recorded[4])}
end
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {'no_member', 0, 0, 0}
end
local balance = tonumber(redis.call('HGET', KEYS[1], 'balance') or '0')
local earned, used = tonumber(ARGV[3]), tonumber(ARGV[4])
if used > balance then
  return {'insufficient', balance, 0, used}
end
balance = balance - used + earned
redis.call('HSET', KEYS[1], 'balance', balance)
redis.call('HSET', KEYS[2], 'fingerprint', ARGV[1], 'balance', balance, 'earned', earned,
  'used', used, 'amount', ARGV[2], 'store', ARGV[5], 'txn', ARGV[6], 'at', ARGV[7])
return {'applied', balance, earned, used}
