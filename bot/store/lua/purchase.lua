-- A POS purchase, exactly once and all in one step: bind the store's transaction id to this
-- member and body, claim the card code, redeem points_used (FIFO by expiry), grant the earned
-- points as a new lot, index its expiry, and write the receipt to the member's outbox (and
-- index it). Nothing is bound unless the purchase is applied, so a refused or unchecked request
-- leaves nothing behind. Guarded by its own idempotency key inside the script, so a client
-- retry of EVALSHA changes nothing.
-- The earn rule is applied in Python (bot/domain/points.py): ARGV[8] holds the points earned
-- at each rank tier, and the script picks the tier the member's window spend reaches.
-- The indexes and figures are those of the member's shard (bot/store/keys.py). On a Redis
-- Cluster the store's binding is in another slot: the caller claims it before (ARGV[24]) and
-- KEYS[9] is a key of the member's slot that is not used.
-- KEYS[1..6]: the ledger keys (see ledger_common.lua); KEYS[7] the card code's use record,
-- KEYS[8] the member's outbox, KEYS[9] the store's transaction binding, KEYS[10] the due
-- index, KEYS[11] the outbox index, KEYS[12] the API key's request counter of this minute,
-- KEYS[13] the activity index, KEYS[14] the store's activity index, KEYS[15] the store's
-- figures of the day, KEYS[16] the purchase's idempotency record (a string with a TTL under
-- the member's hash tag; records from before it are fields of OPS), KEYS[17] the day's figures
-- ARGV[4] op key, ARGV[5] body fingerprint, ARGV[6] amount, ARGV[7] points used,
-- ARGV[8] points earned per tier "e1;e2;...", ARGV[9] new lot expiry (unix s), ARGV[10] store
-- id, ARGV[11] transaction id, ARGV[12] code claim ('' when the code is not claimed: a static
-- code), ARGV[13] TTL of the code's use record (s), ARGV[14] the receipt's retry key ('' for
-- no receipt), ARGV[15] the receipt job as JSON ({kind, urgent, payload}) without the closing
-- braces of payload and job: the script adds the points to the payload and closes both;
-- ARGV[16] '1': replay only (the card code did not check out, so only an earlier application
-- of this key may be given back), ARGV[17] the binding ("<member id> <fingerprint>"),
-- ARGV[18] the request counter's TTL (s; 0: not counted here), ARGV[19] the due index
-- entry of the new lot ("<member id>|<expiry>"), ARGV[20] the outbox index entry of the
-- receipt ("<member id>|<retry key>"), ARGV[21] member id, ARGV[22] when the till says the
-- sale happened (unix s, '' when it did not say), kept in its history entries as 'o',
-- ARGV[23] how long the idempotency record is kept (s); the binding is kept a day longer, so
-- a retry that finds the binding but no record is refused ('forgotten'), never applied again
-- ARGV[24] '' when this script binds (KEYS[9]); else the caller bound it already: 'new' (just
-- now) or the seconds an earlier binding of this same body has left
-- Returns {status, balance, earned, used, spend, member number, active (1/0), receipt written
-- to the outbox (1/0)}; status: applied | replayed | conflict | insufficient | no_member |
-- code_used | unverified | forgotten
local key, fingerprint = ARGV[4], ARGV[5]
local amount, used = tonumber(ARGV[6]), tonumber(ARGV[7])
if tonumber(ARGV[18]) > 0 then
  redis.call('INCR', KEYS[12])
  redis.call('EXPIRE', KEYS[12], ARGV[18])
end
local function answer(status, balance, earned, spent, spend, written)
  local number, state = unpack(redis.call('HMGET', MEMBER, 'number', 'status'))
  return {status, balance, earned, spent, spend, number or '', state == 'active' and 1 or 0,
          written or 0}
end
local record_ttl = tonumber(ARGV[23])
local outside = ARGV[24]
local bound, bound_ttl = nil, -1
if outside == '' then
  bound = redis.call('GET', KEYS[9])
  if bound then bound_ttl = redis.call('TTL', KEYS[9]) end
elseif outside ~= 'new' then
  bound, bound_ttl = ARGV[17], tonumber(outside)
end
if bound and bound ~= ARGV[17] then return {'conflict', 0, 0, 0, 0, '', 0, 0} end
local done = redis.call('GET', KEYS[16]) or redis.call('HGET', OPS, key)
-- A binding this script made (it has a TTL) outlives its record once the record expired (or
-- was deleted with its member); one without (an earlier version bound before applying) may be
-- of a sale never applied. One the caller claimed with more than the last day left may be of
-- a step that never ran (a crash, a refusal it could not release): the step goes on.
local claimed_unapplied = outside ~= '' and bound_ttl > 86400
if bound and not done and bound_ttl >= 0 and not claimed_unapplied then
  return {'forgotten', 0, 0, 0, 0, '', 0, 0}
end
if done then
  local rec = cjson.decode(done)
  if rec.fp ~= fingerprint then return answer('conflict', 0, 0, 0, 0) end
  return answer('replayed', rec.bal, rec.earned, rec.used, rec.spend)
end
if ARGV[16] == '1' then return {'unverified', 0, 0, 0, 0, '', 0, 0} end
if not maintain() then return {'no_member', 0, 0, 0, 0, '', 0, 0} end
local balance = get_int('balance')
if used > balance then return answer('insufficient', balance, 0, used, get_int('spend')) end
local claim = ARGV[12]
if claim ~= '' then
  -- A rotating code serves one transaction; the same claim (a retry) may take it again.
  if redis.call('SET', KEYS[7], claim, 'NX', 'EX', ARGV[13]) then
    -- A new code on the next card refresh, even within the same step.
    redis.call('HINCRBY', MEMBER, 'code_counter', 1)
  elseif redis.call('GET', KEYS[7]) ~= claim then
    return answer('code_used', balance, 0, 0, get_int('spend'))
  end
end
if outside == '' then redis.call('SET', KEYS[9], ARGV[17], 'EX', record_ttl + 86400) end
local store, txn = ARGV[10], ARGV[11]
local function sale_fields(fields)
  if ARGV[22] ~= '' then
    fields[#fields + 1] = 'o'
    fields[#fields + 1] = ARGV[22]
  end
  return fields
end
local earned_by_tier = {}
for points in string.gmatch(ARGV[8], '%d+') do earned_by_tier[#earned_by_tier + 1] = points end
local earned = tonumber(earned_by_tier[tier_for(get_int('spend'))])
local taken = {}
if used > 0 then
  taken = consume(used, nil, true)
  record('redeem', -used, balance - used, sale_fields({'s', store, 'ref', txn}))
end
local lot = ''
if earned > 0 then
  lot = add_lot(earned, tonumber(ARGV[9]), 'purchase', txn)
  -- The amount too ('a'): the export reads it once the idempotency record has expired.
  record('earn', earned, get_int('balance'),
    sale_fields({'s', store, 'ref', txn, 'x', ARGV[9], 'a', amount}))
  redis.call('ZADD', KEYS[10], ARGV[9], ARGV[19])
end
local spend = get_int('spend') + amount
redis.call('HSET', MEMBER, 'spend', spend)
redis.call('ZADD', SPEND, NOW, key .. '|' .. amount)
count('purchases', 1, KEYS[15])
count('amount', amount, KEYS[15])
count('earned', earned, KEYS[15])
count('used', used, KEYS[15])
redis.call('ZADD', KEYS[13], NOW, ARGV[21])
redis.call('ZADD', KEYS[14], NOW, ARGV[21])
balance = get_int('balance')
redis.call('SET', KEYS[16], cjson.encode({fp = fingerprint, bal = balance, earned = earned,
  used = used, spend = spend, amount = amount, taken = taken, lot = lot, at = NOW}),
  'EX', record_ttl)
-- The receipt, in the same step as the sale: whatever crashes later, it is not lost.
local written = 0
if ARGV[14] ~= '' and redis.call('HGET', MEMBER, 'status') == 'active' then
  redis.call('HSET', KEYS[8], ARGV[14], ARGV[15] .. string.format(
    ',"points_earned":%d,"points_used":%d,"balance":%d}}', earned, used, balance))
  redis.call('ZADD', KEYS[11], NOW, ARGV[20])
  written = 1
end
return answer('applied', balance, earned, used, spend, written)
