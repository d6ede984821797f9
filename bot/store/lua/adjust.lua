-- An admin adjustment, once per key: a positive amount is a new lot, a negative one is taken
-- FIFO by expiry; refused (not capped) if it would take the balance below zero.
-- The shopper is told in the same step: a notice goes to the member's outbox (if they follow
-- the account). Like purchase.lua, it needs a single Redis (the outbox index).
-- KEYS[1..6]: the ledger keys (see ledger_common.lua); KEYS[7] the member's outbox, KEYS[8]
-- the outbox index, KEYS[9] the day's figures
-- ARGV[4] op key, ARGV[5] fingerprint, ARGV[6] signed amount, ARGV[7] new lot expiry (unix s),
-- ARGV[8] reason, ARGV[9] the notice's retry key ('' for none), ARGV[10] the notice job as
-- JSON without the closing braces of payload and job (the script adds the points and closes
-- both), ARGV[11] the outbox index entry ("<member id>|<retry key>")
-- Returns {status, balance}; status: applied | replayed | conflict | insufficient | no_member
local key, fingerprint, delta = ARGV[4], ARGV[5], tonumber(ARGV[6])
local done = redis.call('HGET', OPS, key)
if done then
  local rec = cjson.decode(done)
  if rec.fp ~= fingerprint then return {'conflict', 0} end
  return {'replayed', rec.bal}
end
if not maintain() then return {'no_member', 0} end
local balance = get_int('balance')
if delta < 0 and -delta > balance then return {'insufficient', balance} end
if delta > 0 then
  add_lot(delta, tonumber(ARGV[7]), 'adjustment', key)
elseif delta < 0 then
  consume(-delta)
end
balance = get_int('balance')
record('adjust', delta, balance, {'r', ARGV[8], 'ref', key})
count('adjusted', delta)
redis.call('HSET', OPS, key, cjson.encode({fp = fingerprint, bal = balance, at = NOW}))
if ARGV[9] ~= '' and redis.call('HGET', MEMBER, 'status') == 'active' then
  redis.call('HSET', KEYS[7], ARGV[9], ARGV[10] .. string.format(
    ',"points":%d,"balance":%d}}', delta, balance))
  redis.call('ZADD', KEYS[8], NOW, ARGV[11])
end
return {'applied', balance}
