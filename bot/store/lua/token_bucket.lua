-- Take one token from a bucket shared by every worker process (Redis time, so hosts agree).
-- KEYS[1] bucket hash: tokens (may be fractional), at (microseconds of the last refill)
-- ARGV[1] rate (tokens per second), ARGV[2] burst (bucket size, >= 1)
-- Returns 0 when a token was taken, else the microseconds until one will be there.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate / 1000000)
  at = now
end
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000000 / rate)
end
-- %.0f: tostring() would print a 16-digit time as 1.8e+15 and lose the microseconds.
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.0f', at))
redis.call('PEXPIRE', KEYS[1], 60000)
return wait
