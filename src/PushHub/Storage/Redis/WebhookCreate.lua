-- Stores a new webhook and moves the version, so every node's cache (and the append step) sees it next.
-- Keys: P"wh", P"wh:ver". ARGV[1] = P, ARGV[2] = id, ARGV[3] = the webhook's JSON.
-- Reads first: an id already taken refuses before anything is written. Returns {"OK"} or {"EXISTS"}.
local p, id = ARGV[1], ARGV[2]
if redis.call('HEXISTS', p .. 'wh', id) == 1 then
  return {'EXISTS'}
end
redis.call('HSET', p .. 'wh', id, ARGV[3])
redis.call('INCR', p .. 'wh:ver')
return {'OK'}
