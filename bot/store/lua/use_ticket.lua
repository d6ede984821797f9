-- Use a ticket once: bind the store's transaction id to this member and body, check the
-- presented code against the ticket, mark it used and write its history entry, all in one
-- step; or (ARGV[12] = 'undo') give back the ticket a use of ARGV[4] took, once per ARGV[5].
-- Of many concurrent uses of one ticket under different ids, exactly one is applied.
-- KEYS[1..6]: the ledger keys (see ledger_common.lua); KEYS[7] the member's tickets hash,
-- KEYS[8] the store's ticket-use binding of the transaction id, KEYS[9] the ticket due index,
-- KEYS[10] the store's figures of the day, KEYS[11] the day's figures
-- ARGV[4] use op key, ARGV[5] fingerprint (use) or undo op key (undo), ARGV[6] ticket number,
-- ARGV[7] code, ARGV[8] store id, ARGV[9] transaction id, ARGV[10] the binding
-- ("<member id> <fingerprint>"), ARGV[11] the member id, ARGV[12] 'use' | 'undo', ARGV[13]
-- '' when this script binds (KEYS[8]), else the caller bound it already (a Redis Cluster,
-- where the binding is in the store's slot; KEYS[8] is then a key of the member's slot, unused)
-- Returns {status, reward key, member number, ticket number, expiry}; status: applied |
-- replayed | conflict | unknown | used | expired | no_member | not_found (undo: no such use)
local key, no = ARGV[4], ARGV[6]
local function answer(status, reward, expires)
  return {status, reward or '', redis.call('HGET', MEMBER, 'number') or '', no, expires or 0}
end
if ARGV[12] == 'undo' then
  local undone = redis.call('HGET', OPS, ARGV[5])
  if undone then
    local rec = cjson.decode(undone)
    return answer('replayed', rec.r, rec.x)
  end
  local raw = redis.call('HGET', OPS, key)
  if not raw or not maintain() then return answer('not_found') end
  no = cjson.decode(raw).no
  local ticket_raw = redis.call('HGET', KEYS[7], no)
  if not ticket_raw then return answer('not_found') end
  local ticket = cjson.decode(ticket_raw)
  if ticket.st ~= 'used' or ticket.ut ~= ARGV[9] or ticket.us ~= ARGV[8] then
    return answer('not_found')
  end
  ticket.st, ticket.u, ticket.us, ticket.ut = 'active', nil, nil, nil
  redis.call('HSET', KEYS[7], no, cjson.encode(ticket))
  -- Back in the due index: a ticket past its expiry meanwhile expires at the next sweep.
  redis.call('ZADD', KEYS[9], ticket.x, ARGV[11] .. '|' .. no)
  record('unuse', 0, get_int('balance'), {'rw', ticket.r, 'tk', no, 's', ARGV[8], 'ref', ARGV[9]})
  count('tickets_used', -1, KEYS[10])
  redis.call('HSET', OPS, ARGV[5], cjson.encode({r = ticket.r, x = ticket.x, at = NOW}))
  return answer('applied', ticket.r, ticket.x)
end
local outside = ARGV[13] ~= ''
local bound = not outside and redis.call('GET', KEYS[8])
if bound and bound ~= ARGV[10] then return answer('conflict') end
local done = redis.call('HGET', OPS, key)
if done then
  local rec = cjson.decode(done)
  if rec.fp ~= ARGV[5] then return answer('conflict') end
  no = rec.no
  return answer('replayed', rec.r, rec.x)
end
if not maintain() then return answer('no_member') end
local raw = redis.call('HGET', KEYS[7], no)
if not raw then return answer('unknown') end
local ticket = cjson.decode(raw)
if ticket.c ~= ARGV[7] then return answer('unknown') end
if ticket.st == 'used' then return answer('used', ticket.r, ticket.x) end
if ticket.st ~= 'active' or NOW >= ticket.x then return answer('expired', ticket.r, ticket.x) end
ticket.st, ticket.u, ticket.us, ticket.ut = 'used', NOW, ARGV[8], ARGV[9]
redis.call('HSET', KEYS[7], no, cjson.encode(ticket))
redis.call('ZREM', KEYS[9], ARGV[11] .. '|' .. no)
record('use', 0, get_int('balance'), {'rw', ticket.r, 'tk', no, 's', ARGV[8], 'ref', ARGV[9]})
count('tickets_used', 1, KEYS[10])
redis.call('HSET', OPS, key, cjson.encode({fp = ARGV[5], no = no, r = ticket.r, x = ticket.x,
  at = NOW}))
if not outside then redis.call('SET', KEYS[8], ARGV[10]) end
return answer('applied', ticket.r, ticket.x)
