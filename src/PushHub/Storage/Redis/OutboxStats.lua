-- When the next delivery of the given (enabled) webhooks falls due ([3] = "next"), or how many deliveries every
-- webhook has pending and how many dead letters there are ([3] = "count").
-- Keys: P"wh:ver", P"wh", P"ob:"id, P"dl". ARGV[1] = P, [2] = the wh:ver the ids are from, [3] = mode, then ids.
-- Read-only. Returns {"STALE"}, {"OK", next due ms or -1} or {"OK", pending, dead letters}.
local p = ARGV[1]
if (redis.call('GET', p .. 'wh:ver') or '0') ~= ARGV[2] then
  return {'STALE'}
end
local next = -1
if ARGV[3] == 'next' then
  for i = 4, #ARGV do
    local first = redis.call('ZRANGE', p .. 'ob:' .. ARGV[i], 0, 0, 'WITHSCORES')
    if #first > 0 then
      local due = tonumber(first[2])
      if next < 0 or due < next then next = due end
    end
  end
  return {'OK', next}
end
local pending = 0
for _, id in ipairs(redis.call('HKEYS', p .. 'wh')) do
  pending = pending + redis.call('ZCARD', p .. 'ob:' .. id)
end
return {'OK', pending, redis.call('HLEN', p .. 'dl')}
