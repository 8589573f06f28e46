-- Enqueues deliveries of one webhook with fresh attempts, due at once (a replay of stored events); a pending
-- delivery of the same seq is replaced (same webhook-id; its old claim, if any, can no longer resolve it).
-- Keys: P"wh", P"ob:"id, P"obd:"id. ARGV[1] = P, [2] = webhook id, then triples (seq, due ms, delivery JSON).
-- Reads first: the webhook must still exist. Returns {"OK", enqueued}.
local p, id = ARGV[1], ARGV[2]
if redis.call('HEXISTS', p .. 'wh', id) == 0 then
  return {'OK', 0}
end
local n = 0
for i = 3, #ARGV, 3 do
  redis.call('HSET', p .. 'obd:' .. id, ARGV[i], ARGV[i + 2])
  redis.call('ZADD', p .. 'ob:' .. id, ARGV[i + 1], ARGV[i])
  n = n + 1
end
return {'OK', n}
