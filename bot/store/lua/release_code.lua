-- Give back a rotating card code whose transaction was not applied (conflict, too few points).
-- KEYS[1] the code's use record
-- ARGV[1] the claim that took it
-- Returns 1 if released, 0 if another claim holds it (or nothing does).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
