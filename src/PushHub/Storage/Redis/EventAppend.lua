-- EventAppend.lua: stores one batch of events in one atomic step: seq, the event, its indexes, its idempotency key,
-- the task projection and the webhook outbox rows (see briefs' key layout: P = the key prefix).
--
-- ARGV[1] P   ARGV[2] the highest seq this node has seen   ARGV[3] the P"wh:ver" the outbox pairs were matched at
-- ARGV[4] the commit time (Unix ms, from the hub's clock)   ARGV[5] expected last seq of the first event's task, or ''
-- ARGV[6] N events   ARGV[7] M outbox pairs
-- then N times 7: task, type, idempotency key or '', status or '', percent or '', '=' .. message or '',
--                 the event JSON after its seq digits
-- then M times 3: webhook id, event index (1-based), delivery JSON
--
-- Every read and every check that may refuse (a stale webhook cache, a task that moved on) comes before the first
-- write: Redis does not roll a script back, so a refusal must leave nothing behind.
--
-- Returns {'STALE', current wh:ver} | {'MOVED'} | {'OK', head, first, then per event: kind, seq, json}, where kind is
-- 'n' (stored now), 'd' (same key as an earlier event of this batch) or 'o' (the stored original, with its json).
local p = ARGV[1]
local n = tonumber(ARGV[6])
local m = tonumber(ARGV[7])
local base = 7

local ver = redis.call('GET', p .. 'wh:ver') or '0'
if ver ~= ARGV[3] then
  return {'STALE', ver}
end
if ARGV[5] ~= '' then
  local last = redis.call('HGET', p .. 'task:' .. ARGV[base + 1], 'last_seq')
  if last ~= ARGV[5] then
    return {'MOVED'}
  end
end

local seq = math.max(
  tonumber(redis.call('GET', p .. 'seq') or '0'),
  tonumber(redis.call('GET', p .. 'floor') or '0'),
  tonumber(ARGV[2]))
local kinds, seqs, jsons, inBatch = {}, {}, {}, {}
local nextSeq = seq
for i = 1, n do
  local key = ARGV[base + (i - 1) * 7 + 3]
  local found = false
  if key ~= '' then
    if inBatch[key] then
      kinds[i], seqs[i], jsons[i], found = 'd', inBatch[key], '', true
    else
      local s = redis.call('GET', p .. 'idem:' .. key)
      if s then
        local j = redis.call('HGET', p .. 'ev', s)
        if j then
          kinds[i], seqs[i], jsons[i], found = 'o', tonumber(s), j, true
        end
      end
    end
  end
  if not found then
    nextSeq = nextSeq + 1
    kinds[i], seqs[i], jsons[i] = 'n', nextSeq, ''
    if key ~= '' then
      inBatch[key] = nextSeq
    end
  end
end
local firstStored = redis.call('GET', p .. 'first')

-- Writes from here on.
local now = ARGV[4]
local ev = p .. 'ev'
for i = 1, n do
  if kinds[i] == 'n' then
    local o = base + (i - 1) * 7
    local task, kind, key = ARGV[o + 1], ARGV[o + 2], ARGV[o + 3]
    local status, percent, message = ARGV[o + 4], ARGV[o + 5], ARGV[o + 6]
    local s = string.format('%d', seqs[i])
    redis.call('HSET', ev, s, '{"seq":' .. s .. ARGV[o + 7])
    redis.call('ZADD', p .. 'ix:all', s, s)
    redis.call('ZADD', p .. 'ix:t:' .. task, s, s)
    redis.call('ZADD', p .. 'ix:y:' .. kind, s, s)
    if key ~= '' then
      redis.call('SET', p .. 'idem:' .. key, s)
      redis.call('ZADD', p .. 'ix:idem', s, key)
    end
    local tk = p .. 'task:' .. task
    if redis.call('EXISTS', tk) == 0 then
      redis.call('HSET', tk, 'status', (status ~= '' and status) or 'created', 'created', now, 'count', '0')
    elseif status ~= '' then
      redis.call('HSET', tk, 'status', status)
    end
    if percent ~= '' then
      redis.call('HSET', tk, 'percent', percent)
    end
    if message ~= '' then
      redis.call('HSET', tk, 'message', string.sub(message, 2))
    end
    redis.call('HSET', tk, 'updated', now, 'last_seq', s)
    redis.call('HINCRBY', tk, 'count', 1)
    redis.call('ZADD', p .. 'tasks', now, task)
  end
end
for j = 1, m do
  local o = base + n * 7 + (j - 1) * 3
  local index = tonumber(ARGV[o + 2])
  if kinds[index] == 'n' then
    local s = string.format('%d', seqs[index])
    redis.call('ZADD', p .. 'ob:' .. ARGV[o + 1], now, s)
    redis.call('HSET', p .. 'obd:' .. ARGV[o + 1], s, ARGV[o + 3])
  end
end

local head = string.format('%d', nextSeq)
if nextSeq > seq then
  redis.call('SET', p .. 'seq', head)
  redis.call('SET', p .. 'floor', head)
  if not firstStored then
    firstStored = string.format('%d', seq + 1)
    redis.call('SET', p .. 'first', firstStored)
  end
  redis.call('PUBLISH', p .. 'wake', head)
end
local result = {'OK', head, firstStored or string.format('%d', nextSeq + 1)}
for i = 1, n do
  result[#result + 1] = kinds[i]
  result[#result + 1] = string.format('%d', seqs[i])
  result[#result + 1] = jsons[i]
end
return result
