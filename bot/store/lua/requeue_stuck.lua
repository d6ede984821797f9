-- Put back at the front of its queue a job that a worker moved off the queue (to RQ's
-- intermediate list) but never registered as started: it died in between. Only if it is
-- still there, still not started and still queued; a job whose hash is gone is only dropped.
-- KEYS[1] the intermediate list, KEYS[2] the queue's list, KEYS[3] the started registry,
-- KEYS[4] the job's hash
-- ARGV[1] the job id
-- Returns 1 when put back, 0 when left alone, -1 when dropped (no such job).
if redis.call('EXISTS', KEYS[4]) == 0 then
  redis.call('LREM', KEYS[1], 1, ARGV[1])
  return -1
end
for _, member in ipairs(redis.call('ZRANGE', KEYS[3], 0, -1)) do
  if string.sub(member, 1, #ARGV[1] + 1) == ARGV[1] .. ':' then return 0 end
end
if redis.call('HGET', KEYS[4], 'status') ~= 'queued' then return 0 end
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[1])
return 1
