-- Compare-and-set of one webhook: writes the new JSON only when the stored one is still the one the change was
-- computed from, and moves the version. When the change disables the webhook, its pending deliveries get their own
-- copy of the event first, so that they no longer hold back retention.
-- Keys: P"wh", P"wh:ver", P"obd:"id, P"ev". ARGV[1] = P, [2] = id, [3] = the JSON read, [4] = the new JSON,
-- [5] = "1" when the webhook goes from enabled to disabled.
-- Reads first (the compare, the deliveries and their events), then the writes. Returns {"OK"} or {"CHANGED"}.
local p, id = ARGV[1], ARGV[2]
local obd = p .. 'obd:' .. id
if redis.call('HGET', p .. 'wh', id) ~= ARGV[3] then
  return {'CHANGED'}
end
local copies = {}
if ARGV[5] == '1' then
  local pending = redis.call('HGETALL', obd)
  for i = 1, #pending, 2 do
    local d = cjson.decode(pending[i + 1])
    if d.json == nil or d.json == cjson.null then
      local json = redis.call('HGET', p .. 'ev', pending[i])
      if json then
        d.json = json
        copies[#copies + 1] = pending[i]
        copies[#copies + 1] = cjson.encode(d)
      end
    end
  end
end
redis.call('HSET', p .. 'wh', id, ARGV[4])
redis.call('INCR', p .. 'wh:ver')
-- In chunks: unpack has a bound on how many values it spreads.
for i = 1, #copies, 1000 do
  redis.call('HSET', obd, unpack(copies, i, math.min(i + 999, #copies)))
end
return {'OK'}
