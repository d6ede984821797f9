-- A check-in at a store's entrance, at most once per member, store and local day (its op
-- key), at most ARGV[8] a calendar month: the visit points as a new lot (indexed for
-- expiry), a history entry and the visit counts, in one step. A check-in (by beacon or code)
-- is refused while the member's last one, at another store, is under ARGV[13] seconds old
-- (one shopper cannot be at two entrances at once).
-- KEYS[1..6]: the ledger keys (see ledger_common.lua); KEYS[7] the member's visits hash,
-- KEYS[8] the due index, KEYS[9] the activity index, KEYS[10] the store's activity index,
-- KEYS[11] the store's figures of the day, KEYS[12] the day's figures
-- ARGV[4] op key, ARGV[5] store id, ARGV[6] local day (YYYY-MM-DD), ARGV[7] local month
-- (YYYY-MM), ARGV[8] monthly cap, ARGV[9] points, ARGV[10] the lot's expiry (unix s),
-- ARGV[11] its due index entry, ARGV[12] 'beacon' | 'code', ARGV[13] seconds in which a
-- check-in at another store is refused, ARGV[14] member id
-- Returns {status, balance, points, total visits, visits this month}; status: applied |
-- already | capped | elsewhere | no_member
-- A check-in's op record only matters around its own day: the visits hash lists the op keys
-- of the member's last day of check-ins (``ops_day``, ``day_ops``) and of the day before it
-- (``prev_day``, ``prev_ops``); older records are dropped when a later day begins. A check-in
-- of a day older than those kept (a request computed before midnight reaching Redis after
-- later ones) is answered ``already``: its record may be gone, and it must never count twice.
-- Records of versions before these lists are found once by HSCAN.
local key, store, VISITS = ARGV[4], ARGV[5], KEYS[7]

local function kept_from()
  return redis.call('HGET', VISITS, 'prev_day') or redis.call('HGET', VISITS, 'ops_day')
end

local function listed(field)
  return redis.call('HGET', VISITS, field) or ''
end

local function forget_earlier_days()
  local day = redis.call('HGET', VISITS, 'ops_day')
  if day == ARGV[6] then
    redis.call('HSET', VISITS, 'day_ops', listed('day_ops') .. ',' .. key)
  elseif day and ARGV[6] < day then -- late, of a day since the one before the last
    redis.call('HSET', VISITS, 'prev_ops', listed('prev_ops') .. ',' .. key)
  elseif day then -- a later day begins: the day before the last goes
    for old in string.gmatch(listed('prev_ops'), '[^,]+') do
      redis.call('HDEL', OPS, old)
    end
    redis.call('HSET', VISITS, 'prev_day', day, 'prev_ops', listed('day_ops'),
      'ops_day', ARGV[6], 'day_ops', key)
  else -- the first check-in since records were dropped: those of every earlier day go
    local cursor, suffix, today = '0', ':' .. ARGV[6], key
    repeat
      local page = redis.call('HSCAN', OPS, cursor, 'MATCH', 'v:*', 'COUNT', 200)
      cursor = page[1]
      for i = 1, #page[2], 2 do
        local field = page[2][i]
        if string.sub(field, -#suffix) ~= suffix then
          redis.call('HDEL', OPS, field)
        elseif field ~= key then
          today = today .. ',' .. field
        end
      end
    until cursor == '0'
    redis.call('HDEL', VISITS, 'prev_day', 'prev_ops')
    redis.call('HSET', VISITS, 'ops_day', ARGV[6], 'day_ops', today)
  end
end
local done = redis.call('HGET', OPS, key)
if done then
  local rec = cjson.decode(done)
  return {'already', get_int('balance'), rec.pts, rec.total, rec.month}
end
local oldest = kept_from()
if oldest and ARGV[6] < oldest then
  return {'already', get_int('balance'), 0, tonumber(redis.call('HGET', VISITS, 'total') or '0'),
    0}
end
if not maintain() then return {'no_member', 0, 0, 0, 0} end
local total = tonumber(redis.call('HGET', VISITS, 'total') or '0')
local month = 0
if redis.call('HGET', VISITS, 'month') == ARGV[7] then
  month = tonumber(redis.call('HGET', VISITS, 'month_count') or '0')
end
local balance = get_int('balance')
if month >= tonumber(ARGV[8]) then return {'capped', balance, 0, total, month} end
local last = redis.call('HGET', VISITS, 'last')
if last then
  local at_store, at = string.match(last, '^(.*)|(%d+)$')
  if at_store ~= store and NOW - tonumber(at) < tonumber(ARGV[13]) then
    return {'elsewhere', balance, 0, total, month}
  end
end
redis.call('HSET', VISITS, 'last', store .. '|' .. NOW)
local points = tonumber(ARGV[9])
if points > 0 then
  add_lot(points, tonumber(ARGV[10]), 'visit', store)
  redis.call('ZADD', KEYS[8], ARGV[10], ARGV[11])
end
balance = get_int('balance')
total, month = total + 1, month + 1
record('visit', points, balance, {'s', store, 'via', ARGV[12]})
redis.call('HSET', VISITS, 'total', total, 'month', ARGV[7], 'month_count', month)
count('checkins', 1, KEYS[11])
count('visit_points', points, KEYS[11])
redis.call('ZADD', KEYS[9], NOW, ARGV[14])
redis.call('ZADD', KEYS[10], NOW, ARGV[14])
redis.call('HSET', OPS, key, cjson.encode({pts = points, total = total, month = month, at = NOW}))
forget_earlier_days()
return {'applied', balance, points, total, month}
