-- Set one preference field of an existing member; a stranger gets no record.
-- KEYS[1] member hash
-- ARGV[1] field, ARGV[2] value
-- Returns 1 when set, 0 when there is no such member.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
