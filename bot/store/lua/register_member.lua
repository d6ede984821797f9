-- Create a member once; later calls refresh the profile and return the existing member.
-- KEYS[1] member hash, KEYS[2] the members index, KEYS[3] the index of the member's language,
-- KEYS[4..] the indexes of the other languages
-- ARGV[1] line user id, ARGV[2] member number (used only on creation), ARGV[3] display name,
-- ARGV[4] language, ARGV[5] now (unix ms), ARGV[6] code lookup handle and ARGV[7] code secret
-- (used only on creation), ARGV[8] member id
-- Returns {created (0/1), member number}
for i = 4, #KEYS do redis.call('SREM', KEYS[i], ARGV[8]) end
redis.call('SADD', KEYS[3], ARGV[8])
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'name', ARGV[3], 'lang', ARGV[4], 'status', 'active')
  -- A member from before the index: in it now (with when they joined, if known).
  redis.call('ZADD', KEYS[2], 'NX', redis.call('HGET', KEYS[1], 'joined') or ARGV[5], ARGV[8])
  return {0, redis.call('HGET', KEYS[1], 'number')}
end
redis.call('HSET', KEYS[1], 'uid', ARGV[1], 'number', ARGV[2], 'name', ARGV[3],
  'lang', ARGV[4], 'status', 'active', 'balance', 0, 'joined', ARGV[5],
  'handle', ARGV[6], 'code_secret', ARGV[7], 'code_counter', 0)
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[8])
return {1, ARGV[2]}
