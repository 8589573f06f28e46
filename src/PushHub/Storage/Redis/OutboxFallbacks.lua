-- Hands overdue deliveries to their webhook's fallback: once per delivery (marked "fb"), with a line in both logs;
-- the original delivery stays pending.
-- Keys: P"wh:ver", and per webhook wid with fallback fid: P"obd:"wid, P"ob:"fid, P"obd:"fid, P"att:"wid, P"att:"fid.
-- ARGV[1] = P, [2] = now ms, [3] = the wh:ver the triples are from, then triples (wid, fid, after ms).
-- Reads first: the version, then every candidate of every webhook, before any write — so a delivery enqueued here
-- for a fallback is not a candidate itself (a chain moves one step per call). Returns {"OK", handed} or {"STALE"}.
local p, now = ARGV[1], tonumber(ARGV[2])
if (redis.call('GET', p .. 'wh:ver') or '0') ~= ARGV[3] then
  return {'STALE'}
end
local candidates = {}
for i = 4, #ARGV, 3 do
  local wid, fid, cutoff = ARGV[i], ARGV[i + 1], now - tonumber(ARGV[i + 2])
  local all = redis.call('HGETALL', p .. 'obd:' .. wid)
  for j = 1, #all, 2 do
    local d = cjson.decode(all[j + 1])
    if d.fb ~= true and val(d.from) ~= fid and d.event_at <= cutoff then
      candidates[#candidates + 1] = {wid, fid, all[j], d}
    end
  end
end
table.sort(candidates, function(a, b)
  if a[1] ~= b[1] then return a[1] < b[1] end
  return tonumber(a[3]) < tonumber(b[3])
end)
for _, c in ipairs(candidates) do
  handOver(p, c[1], c[2], c[3], c[4], now, "not delivered within the fallback's after")
  redis.call('HSET', p .. 'obd:' .. c[1], c[3], cjson.encode(c[4]))
end
return {'OK', #candidates}
