-- GCRA in one atomic step, on Redis's clock so every gateway agrees.
-- KEYS[1]: the bucket. ARGV[1]: emission interval (µs). ARGV[2]: burst.
-- The key holds the theoretical arrival time (µs since the epoch) and
-- expires when the bucket would be full again.
-- Returns {allowed (0|1), remaining, retry_after_us, reset_us}.
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tau = interval * (burst - 1)
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then
  tat = now
end
if tat - tau > now then
  return {0, 0, tat - tau - now, tat - now}
end
local new_tat = tat + interval
local ttl_ms = math.ceil((new_tat - now) / 1000)
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', ttl_ms)
return {1, math.floor((now + tau + interval - new_tat) / interval), 0, new_tat - now}
