-- Renew the heartbeat of a running RQ job, as RQ's own worker does for its work horse, but
-- only while the job is still registered as started: a beat that arrives after the job
-- finished (RQ's clean-up is one transaction) must not bring its records back.
-- KEYS[1] the queue's started registry (rq:wip:<queue>), KEYS[2] the execution's hash,
-- KEYS[3] the job's executions registry, KEYS[4] the job's hash, KEYS[5] the worker's hash
-- ARGV[1] "<job id>:<execution id>", ARGV[2] execution id, ARGV[3] heartbeat TTL (s),
-- ARGV[4] now (unix s), ARGV[5] now as RQ writes times, ARGV[6] the worker's TTL (s)
-- Returns 1 when renewed, 0 when the job is no longer running.
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
local now, ttl = tonumber(ARGV[4]), tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[1])
redis.call('HSET', KEYS[2], 'last_heartbeat', ARGV[4])
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('ZADD', KEYS[3], now + ttl + 60, ARGV[2])
redis.call('EXPIRE', KEYS[3], ttl + 60)
if redis.call('EXISTS', KEYS[4]) == 1 then
  redis.call('HSET', KEYS[4], 'last_heartbeat', ARGV[5])
end
if redis.call('EXISTS', KEYS[5]) == 1 then
  redis.call('HSET', KEYS[5], 'last_heartbeat', ARGV[5])
  redis.call('EXPIRE', KEYS[5], ARGV[6])
end
return 1
