-- Queues dead letters (one by id, or all of a webhook) for delivery again with fresh attempts, from their own copy
-- of the event, and removes them. The fallback mark stays, so a replayed one is not handed over a second time.
-- Keys: P"dl", P"dl:w:"wid, P"ob:"wid, P"obd:"wid. ARGV[1] = P, [2] = now ms, [3] = "id" or "webhook", [4] = which.
-- Reads first (the dead letters), then the writes. Returns {"OK", queued}.
local p, now, mode, which = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local ids
if mode == 'id' then
  ids = {which}
else
  ids = redis.call('ZRANGE', p .. 'dl:w:' .. which, 0, -1)
end
local letters = {}
for _, id in ipairs(ids) do
  local raw = redis.call('HGET', p .. 'dl', id)
  if raw then
    letters[#letters + 1] = {id, cjson.decode(raw)}
  end
end
for _, l in ipairs(letters) do
  local id, dl = l[1], l[2]
  local d = {task = dl.task, type = dl.type, attempts = 0, event_at = dl.event_at, lease = cjson.null,
    lease_until = cjson.null, json = dl.json, fb = dl.fb == true, next = math.min(dl.event_at or now, now), from = dl.from}
  -- Due at once, scored by the event's time (as replays are: no pile of deliveries on one score).
  redis.call('HSET', p .. 'obd:' .. dl.w, dl.seq, cjson.encode(d))
  redis.call('ZADD', p .. 'ob:' .. dl.w, d.next, dl.seq)
  redis.call('HDEL', p .. 'dl', id)
  redis.call('ZREM', p .. 'dl:w:' .. dl.w, id)
end
return {'OK', #letters}
