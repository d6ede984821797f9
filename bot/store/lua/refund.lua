-- Refund a purchase once: restore the points it used (to lots with their original expiry;
-- portions already past it are lost, as they would have expired) and take back what it
-- earned, from its own lot first, then FIFO. Never below zero: what cannot be taken back is
-- recorded as the shortfall and owed (member field 'owed'): points a later refund restores
-- pay it off first, so refunding every sale leaves what was there before, in any order.
-- Its spend leaves the rank window.
-- KEYS: the ledger keys (see ledger_common.lua)
-- ARGV[4] refund op key, ARGV[5] purchase op key, ARGV[6] store id, ARGV[7] transaction id
-- Returns {status, balance, reversed, restored, shortfall, spend}; status: applied | replayed |
-- not_found | no_member
local key, purchase_key = ARGV[4], ARGV[5]
local done = redis.call('HGET', OPS, key)
if done then
  local rec = cjson.decode(done)
  return {'replayed', rec.bal, rec.reversed, rec.restored, rec.shortfall, rec.spend}
end
local raw = redis.call('HGET', OPS, purchase_key)
if not raw then return {'not_found', 0, 0, 0, 0, 0} end
if not maintain() then return {'no_member', 0, 0, 0, 0, 0} end
local purchase = cjson.decode(raw)
local store, txn = ARGV[6], ARGV[7]
local restored, lost = 0, 0
for _, portion in ipairs(purchase.taken) do
  local expires, n, origin = portion[1], portion[2], portion[3]
  if expires > NOW then
    local id = add_lot(n, expires, 'refund', txn)
    if origin then redis.call('HSET', OPS, 'o:' .. id, origin) end
    restored = restored + n
  else
    lost = lost + n
    -- Past their expiry: for the purchase that earned them, they expired unused.
    if origin then redis.call('HINCRBY', OPS, 'x:' .. origin, n) end
  end
end
if restored > 0 then
  record('restore', restored, get_int('balance'), {'s', store, 'ref', txn})
  local settled = math.min(get_int('owed'), restored)
  if settled > 0 then
    consume(settled)
    redis.call('HINCRBY', MEMBER, 'owed', -settled)
    record('reverse', -settled, get_int('balance'), {'s', store, 'ref', txn, 'settled', settled})
  end
end
-- What expired unused was never the shopper's to keep: only the rest is taken back, or owed.
local expired = 0
if purchase.lot ~= '' then
  expired = tonumber(redis.call('HGET', OPS, 'x:' .. purchase.lot) or '0')
end
local earned = purchase.earned - expired
local want = math.min(earned, get_int('balance'))
local reversed = 0
if want > 0 then
  local _, total = consume(want, purchase.lot ~= '' and purchase.lot or nil)
  reversed = total
end
local shortfall = earned - reversed
if shortfall > 0 then redis.call('HINCRBY', MEMBER, 'owed', shortfall) end
if purchase.earned > 0 then
  record('reverse', -reversed, get_int('balance'),
    {'s', store, 'ref', txn, 'short', shortfall, 'lost', lost, 'expired', expired})
end
local spend = get_int('spend')
if redis.call('ZREM', SPEND, purchase_key .. '|' .. purchase.amount) == 1 then
  spend = spend - purchase.amount
  redis.call('HSET', MEMBER, 'spend', spend)
end
local balance = get_int('balance')
redis.call('HSET', OPS, key, cjson.encode({bal = balance, reversed = reversed,
  restored = restored, shortfall = shortfall, lost = lost, spend = spend, at = NOW}))
return {'applied', balance, reversed, restored, shortfall, spend}
