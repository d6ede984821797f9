-- A sale's reads in one step, on one Redis only: what MGET KEYS would give, then the code
-- credentials of the member the card index names. The member's key is built here from its id,
-- which a Redis Cluster forbids (a key not given): there the credentials are a read of their own.
-- KEYS[1] the store's transaction binding, KEYS[2] the card index (handle or number -> member
-- id), KEYS[3..] the API key's reads (bot/store/rate_limit.py KeyCheck.read_keys)
-- ARGV[1], ARGV[2] a member key's name before and after the member id (bot/store/keys.py member)
-- Returns the values of KEYS in order, then the member's number, handle, code secret and use
-- counter (all false when the card index names nobody).
local values = redis.call('MGET', unpack(KEYS))
local member_id = values[2]
local n = #KEYS
if member_id then
  local fields = redis.call('HMGET', ARGV[1] .. member_id .. ARGV[2],
    'number', 'handle', 'code_secret', 'code_counter')
  for i = 1, 4 do values[n + i] = fields[i] end
else
  for i = 1, 4 do values[n + i] = false end
end
return values
