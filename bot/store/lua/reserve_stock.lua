-- Take one of a reward's stock if any is left (a Redis Cluster, where the counter is in
-- another slot than the member: bot/store/tickets.py gives it back if the ticket is not issued).
-- KEYS[1] the reward's issued counter, ARGV[1] the stock
-- Returns 1 if one was taken, 0 if none is left
if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
return 1
