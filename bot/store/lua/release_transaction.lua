-- Unbind a store's transaction id, but only if it is still bound to this member and body.
-- Used when the ledger refused the purchase, so a refused request leaves nothing behind.
-- KEYS[1] store transaction key
-- ARGV[1] the binding ("<member id> <fingerprint>")
-- Returns 1 if released, 0 if the binding was someone else's or already gone.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
