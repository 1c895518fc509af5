-- A counter that survives restarts (Hel's key-value store) with a short-lived cache beside it.
local key = "counter/" .. params.name
local n = (hel.kv_get(key) or 0) + (params.step or 1)
hel.kv_set(key, n)
hel.cache_set("counter/last", params.name, 60)
return n
