-- Refund a purchase once: restore the points it used (to lots with their original expiry;
-- portions already past it are lost, as they would have expired) and take back what it
-- earned: its own points first (its lot, and points of it a refund restored), then FIFO.
-- Never below zero: what cannot be taken back is the shortfall, owed (member field 'owed').
-- What the refund took from other lots or owes on behalf of its points spent elsewhere is
-- remembered ('xs:<lot id>'); when a later refund gives those points back, the debt is paid
-- from them (or forgiven, if they come back past their expiry) and then the points taken
-- from other lots go back where they came from. So refunding every sale leaves what was
-- there before, in any order and whatever expired in between. Its spend leaves the rank
-- window.
-- The shopper is told in the same step: a notice goes to the member's outbox when the refund
-- changed their points (and they follow the account), as a sale's receipt does.
-- A Redis Cluster cannot run this script as it is (the outbox index is not in the member's
-- slot); it needs a single Redis, as purchase.lua does.
-- KEYS[1..6]: the ledger keys (see ledger_common.lua), KEYS[7] the store's figures of the
-- day, KEYS[8] the member's outbox, KEYS[9] the outbox index, KEYS[10] the purchase's
-- idempotency record, KEYS[11] the refund's (strings with a TTL; records from before them are
-- fields of OPS), KEYS[12] the day's figures
-- ARGV[4] refund op key, ARGV[5] purchase op key, ARGV[6] store id, ARGV[7] transaction id,
-- ARGV[8] the notice's retry key ('' for none), ARGV[9] the notice job as JSON without the
-- closing braces of payload and job (the script adds the points and closes both), ARGV[10]
-- the outbox index entry ("<member id>|<retry key>"), ARGV[11] how long the refund's record is
-- kept (s): as long as a purchase's, so it outlives the record of the purchase it refunds
-- Returns {status, balance, reversed, restored, shortfall, spend}; status: applied | replayed |
-- not_found | no_member
local key, purchase_key = ARGV[4], ARGV[5]
local done = redis.call('GET', KEYS[11]) or redis.call('HGET', OPS, key)
if done then
  local rec = cjson.decode(done)
  return {'replayed', rec.bal, rec.reversed, rec.restored, rec.shortfall, rec.spend}
end
local raw = redis.call('GET', KEYS[10]) or redis.call('HGET', OPS, purchase_key)
if not raw then return {'not_found', 0, 0, 0, 0, 0} end
if not maintain() then return {'no_member', 0, 0, 0, 0, 0} end
local purchase = cjson.decode(raw)
local store, txn = ARGV[6], ARGV[7]

local function took(lot_id, n)
  local lot = read_lot(lot_id)
  lot.rem = lot.rem - n
  if lot.rem == 0 then drop_lot(lot_id) else write_lot(lot) end
  redis.call('HINCRBY', MEMBER, 'balance', -n)
end

local function restore(n, expires, origin)
  local id = add_lot(n, expires, 'refund', txn)
  if origin then redis.call('HSET', OPS, 'o:' .. id, origin) end
  return id
end

-- `n` points of `origin`'s lot came back: live in lot `lot_id`, or past their expiry (nil).
-- What the refund of `origin`'s purchase recovered for them shrinks: its debt first (paid
-- from the lot, or forgiven), then the portions it took from other lots, last taken first,
-- which go back where they came from (in exchange for points of the lot) and come back in
-- turn. Returns the debt forgiven and the debt paid.
local came_back

-- `n` points of `origin` (false: of no purchase) expiring at `expires` come back: a lot again
-- while live, else expired unused for `origin`; either way `origin`'s recovery shrinks.
-- Returns the debt forgiven and the debt paid.
local function give_back(n, expires, origin)
  if expires > NOW then
    local id = restore(n, expires, origin)
    if origin then return came_back(origin, n, id) end
  elseif origin then
    redis.call('HINCRBY', OPS, 'x:' .. origin, n)
    return came_back(origin, n, nil)
  end
  return 0, 0
end

came_back = function(origin, n, lot_id)
  local raw_xs = redis.call('HGET', OPS, 'xs:' .. origin)
  if not raw_xs then return 0, 0 end
  local xs = cjson.decode(raw_xs)
  local debt = math.min(n, xs.owed)
  xs.owed = xs.owed - debt
  n = n - debt
  local forgiven, paid = 0, 0
  if lot_id then
    paid = debt
    if debt > 0 then took(lot_id, debt) end
  else
    forgiven = debt
  end
  while n > 0 and #xs.back > 0 do
    local last = xs.back[#xs.back]
    local k = math.min(n, last[2])
    last[2] = last[2] - k
    n = n - k
    if last[2] == 0 then table.remove(xs.back) end
    -- Saved before going on: the cover's own points may come back to this record in turn.
    redis.call('HSET', OPS, 'xs:' .. origin, cjson.encode(xs))
    if lot_id then took(lot_id, k) end
    local f, p = give_back(k, last[1], last[3])
    forgiven, paid = forgiven + f, paid + p
    local again = redis.call('HGET', OPS, 'xs:' .. origin)
    if not again then break end
    xs = cjson.decode(again)
  end
  if xs.owed == 0 and #xs.back == 0 then
    redis.call('HDEL', OPS, 'xs:' .. origin)
  else
    redis.call('HSET', OPS, 'xs:' .. origin, cjson.encode(xs))
  end
  return forgiven, paid
end

local before = get_int('balance')
local restored, lost, forgiven, paid = 0, 0, 0, 0
for _, portion in ipairs(purchase.taken) do
  local expires, n, origin = portion[1], portion[2], portion[3]
  if expires > NOW then restored = restored + n else lost = lost + n end
  local f, p = give_back(n, expires, origin)
  forgiven, paid = forgiven + f, paid + p
end
if forgiven + paid > 0 then redis.call('HINCRBY', MEMBER, 'owed', -(forgiven + paid)) end
local balance_now = get_int('balance')
if restored > 0 or balance_now ~= before then
  record('restore', balance_now - before, balance_now,
    {'s', store, 'ref', txn, 'restored', restored, 'settled', paid, 'forgiven', forgiven})
end
-- What expired unused was never the shopper's to keep: only the rest is taken back, or owed.
local expired = 0
if purchase.lot ~= '' then
  expired = tonumber(redis.call('HGET', OPS, 'x:' .. purchase.lot) or '0')
end
local earned = purchase.earned - expired
local want = math.min(earned, get_int('balance'))
local reversed, covers = 0, {}
if want > 0 then
  local taken, total = consume(want, purchase.lot ~= '' and purchase.lot or nil)
  reversed = total
  for _, portion in ipairs(taken) do
    if portion[3] ~= purchase.lot then covers[#covers + 1] = portion end
  end
end
local shortfall = earned - reversed
if shortfall > 0 then redis.call('HINCRBY', MEMBER, 'owed', shortfall) end
if purchase.lot ~= '' and (shortfall > 0 or #covers > 0) then
  redis.call('HSET', OPS, 'xs:' .. purchase.lot, cjson.encode({owed = shortfall, back = covers}))
end
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
count('refunds', 1, KEYS[7])
count('reversed', reversed, KEYS[7])
count('restored', restored, KEYS[7])
redis.call('SET', KEYS[11], cjson.encode({bal = balance, reversed = reversed,
  restored = restored, shortfall = shortfall, lost = lost, forgiven = forgiven, settled = paid,
  spend = spend, at = NOW}), 'EX', ARGV[11])
if ARGV[8] ~= '' and (reversed + restored + shortfall) > 0
    and redis.call('HGET', MEMBER, 'status') == 'active' then
  redis.call('HSET', KEYS[8], ARGV[8], ARGV[9] .. string.format(
    ',"reversed":%d,"restored":%d,"shortfall":%d,"balance":%d}}',
    reversed, restored, shortfall, balance))
  redis.call('ZADD', KEYS[9], NOW, ARGV[10])
end
return {'applied', balance, reversed, restored, shortfall, spend}
