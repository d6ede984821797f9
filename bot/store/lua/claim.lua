-- Claim a key for a value unless it holds one already (SET NX GET, which Redis 6.2 lacks).
-- KEYS[1] the key, ARGV[1] the value, ARGV[2] its TTL (s; 0: none)
-- Returns {} when this call set it, else {the value it holds, its TTL left (s; -1: none)}
local held = redis.call('GET', KEYS[1])
if held then return {held, redis.call('TTL', KEYS[1])} end
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[1])
end
return {}
