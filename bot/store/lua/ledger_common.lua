-- Shared prelude of the ledger scripts (prepended to each one when it is loaded).
-- KEYS[1] member hash          (balance, spend, next_lot, ...)
-- KEYS[2] lots sorted set      (lot id -> expiry, unix s; ties in creation order)
-- KEYS[3] lots hash            (lot id -> "remaining|amount|earned_at|expires_at|source|ref")
-- KEYS[4] ledger list          (append-only history, oldest first, JSON entries)
-- KEYS[5] operations hash      (idempotency key -> JSON outcome; 'x:<lot id>' -> points
--                               earned in a purchase's lot that expired unused, there or
--                               after a refund gave them back; 'o:<lot id>' -> the purchase
--                               lot a restored lot's points came from; 'xs:<lot id>' -> what
--                               the purchase's refund recovered for its points spent
--                               elsewhere, see refund.lua; 'w:<lot id>' -> points of the
--                               lot a reminder told the member about, not spent since)
-- KEYS[6] spend sorted set     ("<op key>|<amount>" -> time, unix s)
-- KEYS[#KEYS] (the last key of every ledger script) the day's figures hash (bot/store/stats.py)
-- ARGV[1] now (unix s), ARGV[2] rank window (s), ARGV[3] rank thresholds "t1;t2;..." (rising, JPY)
-- A lot is live while now < its expiry. The balance is the sum of live lots' remainders.
local MEMBER, LOTS, LOTDATA, LEDGER, OPS, SPEND = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local NOW = tonumber(ARGV[1])
local STATS = KEYS[#KEYS]
-- Figures are kept this long (s): a year and a month, for `stats --since 365d`.
local STATS_TTL = 400 * 86400

local stats_dated = {}

-- Add to the day's figures (and, with `store_key`, to the store's too).
local function count(field, n, store_key)
  if n == 0 then return end
  for _, key in ipairs({STATS, store_key}) do
    redis.call('HINCRBY', key, field, n)
    if not stats_dated[key] then
      redis.call('EXPIRE', key, STATS_TTL)
      stats_dated[key] = true
    end
  end
end
local WINDOW = tonumber(ARGV[2])

-- The rank tier (1-based, as in the program) that a window spend reaches: the last threshold
-- it is at or above. bot/domain/program.py Ranks.for_spend is the same rule.
local function tier_for(spend)
  local index, i = 1, 0
  for threshold in string.gmatch(ARGV[3], '%d+') do
    i = i + 1
    if spend >= tonumber(threshold) then index = i end
  end
  return index
end

local function get_int(field)
  return tonumber(redis.call('HGET', MEMBER, field) or '0')
end

local function read_lot(id)
  local raw = redis.call('HGET', LOTDATA, id)
  local rem, amount, earned, expires, source, ref =
    string.match(raw, '^(%d+)|(%d+)|(%d+)|(%d+)|([^|]*)|(.*)$')
  return {id = id, rem = tonumber(rem), amount = tonumber(amount), earned = tonumber(earned),
          expires = tonumber(expires), source = source, ref = ref}
end

local function write_lot(lot)
  -- %d, not tostring: Lua would write 1e+14 for large numbers, which read_lot cannot parse.
  redis.call('HSET', LOTDATA, lot.id, string.format('%d|%d|%d|%d|%s|%s',
    lot.rem, lot.amount, lot.earned, lot.expires, lot.source, lot.ref))
end

local function drop_lot(id)
  redis.call('ZREM', LOTS, id)
  redis.call('HDEL', LOTDATA, id)
  redis.call('HDEL', OPS, 'w:' .. id)
end

-- Points spent from a lot that a reminder told the member about were saved from expiry:
-- counted once (up to what the reminder named), as 'saved' in the day's figures.
local function count_saved(lot, n)
  local field = 'w:' .. lot.id
  local watched = tonumber(redis.call('HGET', OPS, field) or '0')
  if watched <= 0 then return end
  local saved = math.min(n, watched)
  count('saved', saved)
  if watched > saved then redis.call('HSET', OPS, field, watched - saved) else
    redis.call('HDEL', OPS, field) end
end

-- Append a history entry; `fields` is a flat list of extra name, value pairs.
-- A list, not a stream: a stream's first node alone costs ~4.7 KB per member.
local function record(kind, delta, balance, fields)
  local entry = {k = kind, p = delta, b = balance, t = NOW}
  fields = fields or {}
  for i = 1, #fields, 2 do entry[fields[i]] = tostring(fields[i + 1]) end
  redis.call('RPUSH', LEDGER, cjson.encode(entry))
end

local function add_lot(amount, expires, source, ref)
  local id = string.format('%010d', redis.call('HINCRBY', MEMBER, 'next_lot', 1))
  write_lot({id = id, rem = amount, amount = amount, earned = NOW, expires = expires,
             source = source, ref = ref})
  redis.call('ZADD', LOTS, expires, id)
  redis.call('HINCRBY', MEMBER, 'balance', amount)
  return id
end

-- The purchase lot a lot's points were earned in: the lot itself, or, for points a refund
-- restored, the lot they were taken from ('o:<lot id>'); nil for other points.
local function origin_of(lot)
  if lot.source == 'purchase' then return lot.id end
  return redis.call('HGET', OPS, 'o:' .. lot.id) or nil
end

-- Every due lot becomes an 'expire' entry; returns the points expired.
local function expire_due()
  local total = 0
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', LOTS, '-inf', NOW)) do
    local lot = read_lot(id)
    drop_lot(id)
    total = total + lot.rem
    count('expired', lot.rem)
    local balance = redis.call('HINCRBY', MEMBER, 'balance', -lot.rem)
    record('expire', -lot.rem, balance, {'x', lot.expires, 'src', lot.source, 'ref', lot.ref})
    local origin = origin_of(lot)
    if origin and lot.rem > 0 then
      -- A refund of the purchase they came from has these no more to take back (refund.lua).
      redis.call('HINCRBY', OPS, 'x:' .. origin, lot.rem)
    end
  end
  return total
end

-- Take `amount` from live lots, the one expiring first first; with `first_id` (a purchase
-- lot), its own points first: that lot and lots of its points a refund restored. The caller
-- checked the balance. `spent`: the member spends them (a purchase, an exchange), not a
-- refund or an adjustment taking them back. Returns the portions taken as
-- {{expires, taken, origin purchase lot or false}, ...}.
local function consume(amount, first_id, spent)
  local taken = {}
  local function take(lot)
    local n = math.min(lot.rem, amount)
    if n <= 0 then return end
    if spent then count_saved(lot, n) end
    lot.rem = lot.rem - n
    amount = amount - n
    if lot.rem == 0 then drop_lot(lot.id) else write_lot(lot) end
    taken[#taken + 1] = {lot.expires, n, origin_of(lot) or false}
  end
  if first_id then
    for _, id in ipairs(redis.call('ZRANGE', LOTS, 0, -1)) do
      if amount <= 0 then break end
      local lot = read_lot(id)
      if origin_of(lot) == first_id then take(lot) end
    end
  end
  while amount > 0 do
    local ids = redis.call('ZRANGE', LOTS, 0, 0)
    if #ids == 0 then break end
    take(read_lot(ids[1]))
  end
  local total = 0
  for _, portion in ipairs(taken) do total = total + portion[2] end
  redis.call('HINCRBY', MEMBER, 'balance', -total)
  return taken, total
end

-- Drop purchases that left the rank window from the member's spend.
local function prune_spend()
  local cutoff = NOW - WINDOW
  local spend = get_int('spend')
  local gone = redis.call('ZRANGEBYSCORE', SPEND, '-inf', cutoff)
  if #gone == 0 then return spend end
  for _, entry in ipairs(gone) do
    spend = spend - tonumber(string.match(entry, '|(%d+)$'))
  end
  redis.call('ZREMRANGEBYSCORE', SPEND, '-inf', cutoff)
  redis.call('HSET', MEMBER, 'spend', spend)
  return spend
end

local function maintain()
  if redis.call('EXISTS', MEMBER) == 0 then return false end
  expire_due()
  prune_spend()
  return true
end
