-- Deletes one dead letter. Keys: P"dl", P"dl:w:"wid. ARGV[1] = P, [2] = id.
-- Reads first (which webhook it belongs to). Returns {"OK", 1 if it existed else 0}.
local p, id = ARGV[1], ARGV[2]
local raw = redis.call('HGET', p .. 'dl', id)
if not raw then
  return {'OK', 0}
end
local dl = cjson.decode(raw)
redis.call('HDEL', p .. 'dl', id)
redis.call('ZREM', p .. 'dl:w:' .. dl.w, id)
return {'OK', 1}
