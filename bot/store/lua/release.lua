-- Delete a key only if it still holds the given value (a claim this process made).
-- KEYS[1] the key, ARGV[1] the value it was set to
-- Returns 1 if deleted, 0 if it held something else or nothing
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
