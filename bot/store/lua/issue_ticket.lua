-- Issue a reward ticket once per op key: for an exchange, take its cost (FIFO by expiry, as
-- any spend) and one of the reward's stock; for a goal, nothing. The ticket, its place in the
-- ticket due index, its history entry and (for a goal) its push to the member's outbox are
-- written in the same step, so a double tap or a redelivered postback issues one ticket and
-- stock never goes below zero.
-- The indexes and figures are the member's shard's (bot/store/keys.py). On a Redis Cluster
-- the stock counter is in another slot: the caller reserves the stock before (reserve_stock.lua)
-- and passes no limit, and KEYS[8] is a key of the member's slot, unused.
-- KEYS[1..6]: the ledger keys (see ledger_common.lua); KEYS[7] the member's tickets hash,
-- KEYS[8] the reward's issued counter, KEYS[9] the ticket due index, KEYS[10] the member's
-- outbox, KEYS[11] the outbox index, KEYS[12] the day's figures
-- ARGV[4] op key, ARGV[5] reward key, ARGV[6] cost in points (0 for a goal), ARGV[7] stock
-- (-1: no limit), ARGV[8] the ticket's expiry (unix s), ARGV[9] the member's code handle,
-- ARGV[10] the code's random part, ARGV[11] source ('exchange' | 'goal'), ARGV[12] the push's
-- retry key ('' for none), ARGV[13] the push job as JSON without the closing braces of payload
-- and job (the script adds the ticket number and closes both), ARGV[14] the outbox index entry
-- ("<member id>|<retry key>"), ARGV[15] most tickets a member may hold, ARGV[16] member id
-- Returns {status, balance, ticket number, code, expiry, push written (1/0)}; status: applied |
-- replayed | insufficient | sold_out | full | no_member
local key, cost, limit = ARGV[4], tonumber(ARGV[6]), tonumber(ARGV[7])
local done = redis.call('HGET', OPS, key)
if done then
  local rec = cjson.decode(done)
  return {'replayed', rec.bal, rec.no, rec.code, rec.x, 0}
end
if not maintain() then return {'no_member', 0, '', '', 0, 0} end
local balance = get_int('balance')
if cost > balance then return {'insufficient', balance, '', '', 0, 0} end
local n = get_int('next_ticket') + 1
if n > tonumber(ARGV[15]) then return {'full', balance, '', '', 0, 0} end
if limit >= 0 then
  if tonumber(redis.call('GET', KEYS[8]) or '0') >= limit then
    return {'sold_out', balance, '', '', 0, 0}
  end
  redis.call('INCR', KEYS[8])
end
redis.call('HSET', MEMBER, 'next_ticket', n)
local no = string.format('%04d', n)
local code = ARGV[9] .. no .. ARGV[10]
local expires = tonumber(ARGV[8])
if cost > 0 then consume(cost, nil, true) end
balance = get_int('balance')
local goal = ARGV[11] == 'goal'
record(goal and 'ticket' or 'exchange', -cost, balance, {'rw', ARGV[5], 'tk', no})
count('tickets_issued', 1)
count('exchanged', cost)
redis.call('HSET', KEYS[7], no, cjson.encode({r = ARGV[5], c = code, st = 'active', i = NOW,
  x = expires, src = ARGV[11], cost = cost}))
redis.call('ZADD', KEYS[9], expires, ARGV[16] .. '|' .. no)
redis.call('HSET', OPS, key, cjson.encode({bal = balance, no = no, code = code, x = expires,
  at = NOW}))
local written = 0
if ARGV[12] ~= '' and redis.call('HGET', MEMBER, 'status') == 'active' then
  redis.call('HSET', KEYS[10], ARGV[12], ARGV[13] .. string.format(',"ticket":"%s"}}', no))
  redis.call('ZADD', KEYS[11], NOW, ARGV[14])
  written = 1
end
return {'applied', balance, no, code, expires, written}
