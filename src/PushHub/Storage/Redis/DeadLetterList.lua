-- Dead letters newest first: of the given webhooks, or (no webhook given) of every stored webhook; at most limit.
-- Keys: P"wh", P"dl:w:"wid, P"dl". ARGV[1] = P, [2] = limit, [3] = "all" or "some", then webhook ids.
-- Read-only. Returns {"OK", json1, json2, ...}.
local p, limit = ARGV[1], tonumber(ARGV[2])
local webhooks = {}
if ARGV[3] == 'all' then
  webhooks = redis.call('HKEYS', p .. 'wh')
else
  for i = 4, #ARGV do webhooks[#webhooks + 1] = ARGV[i] end
end
local ids = {}
for _, wid in ipairs(webhooks) do
  for _, id in ipairs(redis.call('ZREVRANGE', p .. 'dl:w:' .. wid, 0, limit - 1)) do
    ids[#ids + 1] = tonumber(id)
  end
end
table.sort(ids, function(a, b) return a > b end)
local reply = {'OK'}
for i = 1, math.min(limit, #ids) do
  local raw = redis.call('HGET', p .. 'dl', ids[i])
  if raw then reply[#reply + 1] = raw end
end
return reply
