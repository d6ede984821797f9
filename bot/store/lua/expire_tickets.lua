-- Expire a member's unused tickets whose last moment has passed, each with a history entry,
-- and drop them from the ticket due index. Idempotent: a ticket already used or expired is
-- only dropped from the index.
-- KEYS[1..6]: the ledger keys (see ledger_common.lua); KEYS[7] the member's tickets hash,
-- KEYS[8] the ticket due index, KEYS[9] the day's figures
-- ARGV[4] member id, ARGV[5..] ticket numbers the index holds as due
-- Returns the number of tickets expired.
local expired = 0
if redis.call('EXISTS', MEMBER) == 0 then
  for i = 5, #ARGV do redis.call('ZREM', KEYS[8], ARGV[4] .. '|' .. ARGV[i]) end
  return 0
end
maintain()
for i = 5, #ARGV do
  local no = ARGV[i]
  local raw = redis.call('HGET', KEYS[7], no)
  if raw then
    local ticket = cjson.decode(raw)
    if ticket.st == 'active' and NOW >= ticket.x then
      ticket.st = 'expired'
      redis.call('HSET', KEYS[7], no, cjson.encode(ticket))
      record('ticket_expire', 0, get_int('balance'), {'rw', ticket.r, 'tk', no, 'x', ticket.x})
      expired = expired + 1
      count('tickets_expired', 1)
    end
    if ticket.st ~= 'active' or NOW >= ticket.x then
      redis.call('ZREM', KEYS[8], ARGV[4] .. '|' .. no)
    end
  else
    redis.call('ZREM', KEYS[8], ARGV[4] .. '|' .. no)
  end
end
return expired
