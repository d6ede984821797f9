-- Take one push slot in a sliding window shared by every worker (Redis time, so hosts agree):
-- never more than the rate in any window, however the pushes bunch up.
-- KEYS[1] sorted set: one member per push of the last window, scored by its time (µs)
-- ARGV[1] rate (pushes in any window), ARGV[2] a member unique to this call,
-- ARGV[3] the window (µs)
-- Returns 0 when a slot was taken, else the microseconds until the oldest leaves the window.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local window = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], 2000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
