-- Move reminder watermarks forward, never back (a sweep run by hand beside the clock may
-- finish a window after a later one did).
-- KEYS[i] a watermark (bot/store/keys.py reminder_watermark), ARGV[i] the score to move it to
for i, key in ipairs(KEYS) do
  local current = redis.call('GET', key)
  if not current or tonumber(current) < tonumber(ARGV[i]) then
    redis.call('SET', key, ARGV[i])
  end
end
return #KEYS
