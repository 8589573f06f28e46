-- RateLimitTake.lua: takes permits from one API key's publish token bucket, shared by every node.
--
-- KEYS[1] the bucket hash (fields: tokens, at = ms of the last refill)
-- ARGV[1] now (ms, the calling node's clock)   ARGV[2] bucket size (Burst)   ARGV[3] refill per second
-- ARGV[4] permits wanted   ARGV[5] key TTL in ms (long enough to refill the bucket fully: then it is as new)
--
-- Answers {1, 0} when the permits were taken, {0, wait_ms} when not (nothing is written then).
-- Time never runs backwards for a bucket: a node whose clock is behind the last refill refills nothing.
local now = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = limit
  at = now
end
if now > at then
  tokens = math.min(limit, tokens + (now - at) * rate / 1000)
  at = now
end
if tokens >= want then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - want), 'at', tostring(at))
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return {1, 0}
end
return {0, math.ceil((want - tokens) * 1000 / rate)}
