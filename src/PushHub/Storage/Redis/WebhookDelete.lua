-- Removes a webhook with its outbox, attempt log and dead letters, and moves the version.
-- Keys: P"wh", P"wh:ver", P"ob:"id, P"obd:"id, P"att:"id, P"dl", P"dl:w:"id. ARGV[1] = P, ARGV[2] = id.
-- Reads first (whether it exists, its dead letters' ids), then the writes. Returns {"OK", 1 if it existed else 0}.
local p, id = ARGV[1], ARGV[2]
local existed = redis.call('HEXISTS', p .. 'wh', id)
local dead = redis.call('ZRANGE', p .. 'dl:w:' .. id, 0, -1)
redis.call('HDEL', p .. 'wh', id)
redis.call('DEL', p .. 'ob:' .. id, p .. 'obd:' .. id, p .. 'att:' .. id, p .. 'dl:w:' .. id)
for i = 1, #dead, 1000 do
  redis.call('HDEL', p .. 'dl', unpack(dead, i, math.min(i + 999, #dead)))
end
redis.call('INCR', p .. 'wh:ver')
return {'OK', existed}
