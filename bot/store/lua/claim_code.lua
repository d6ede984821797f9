-- Claim a rotating card code for one transaction, the first time it is used.
-- KEYS[1] the code's use record, KEYS[2] member hash
-- ARGV[1] claim ("<store id> <transaction id>"), ARGV[2] TTL of the record (seconds)
-- Returns the claim holding the code: ARGV[1] when this call (or an earlier call with the same
-- claim) took it, another claim when the code was already used for another transaction.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then
  -- A new code on the next card refresh, even within the same step.
  redis.call('HINCRBY', KEYS[2], 'code_counter', 1)
  return ARGV[1]
end
return redis.call('GET', KEYS[1])
