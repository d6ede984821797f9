-- Bring a member up to date: expire due lots, drop spend that left the rank window.
-- Idempotent: it depends only on the time.
-- KEYS: the ledger keys (see ledger_common.lua), then the day's figures
-- Returns {found (1/0), balance, spend}
if not maintain() then return {0, 0, 0} end
return {1, get_int('balance'), get_int('spend')}
