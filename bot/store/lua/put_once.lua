-- Put a push in a member's outbox once per marker: the marker and the push are written
-- together or not at all, so a crash between them can neither lose the push nor send it again.
-- KEYS[1] the member's operations hash (the marker), KEYS[2] the member's outbox
-- ARGV[1] marker, ARGV[2] retry key, ARGV[3] JSON job
-- Returns 1 when the push was put, 0 when the marker was there already.
if redis.call('HSETNX', KEYS[1], ARGV[1], 1) == 0 then return 0 end
redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[3])
return 1
