-- Drop the oldest `count` history entries of a member, once they are archived; the member's
-- 'h0' (entries dropped so far) moves on by as many, so entry ids (h0 + list position) stay.
-- Refused unless 'h0' is still what the caller read with the entries it archived: a second
-- sweep, or a rerun after a crash, can never drop entries no archive holds.
-- KEYS[1] member hash, KEYS[2] ledger list (the member's history, oldest first)
-- ARGV[1] 'h0' as read with the archived entries, ARGV[2] how many entries to drop
-- Returns the new 'h0', or -1 when 'h0' had moved (nothing dropped)
local base = tonumber(redis.call('HGET', KEYS[1], 'h0') or '0')
if base ~= tonumber(ARGV[1]) then return -1 end
local n = tonumber(ARGV[2])
if n <= 0 then return base end
redis.call('LTRIM', KEYS[2], n, -1)
return redis.call('HINCRBY', KEYS[1], 'h0', n)
