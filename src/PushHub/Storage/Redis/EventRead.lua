-- EventRead.lua: one page of the log after a seq, from the index that fits the filter (a task's or a type's zset, never a
-- scan of the whole log for a rare task), with the head, the oldest seq and a reset as this one atomic read saw them.
--
-- ARGV[1] P   ARGV[2] after   ARGV[3] up to, or ''   ARGV[4] limit   ARGV[5] max bytes, or ''
-- ARGV[6] number of tasks T   ARGV[7] number of types Y   then T task ids, then Y types
--
-- Read-only. Returns {head, first, complete '1'|'0', reset seq or '', then seq, json per event}.
local p = ARGV[1]
local after = tonumber(ARGV[2])
local limit = tonumber(ARGV[4])
local maxBytes = tonumber(ARGV[5])
local nTasks = tonumber(ARGV[6])
local nTypes = tonumber(ARGV[7])

local head = tonumber(redis.call('GET', p .. 'seq') or '0')
local upTo = head
if ARGV[3] ~= '' then
  upTo = math.min(upTo, tonumber(ARGV[3]))
end
local first = tonumber(redis.call('GET', p .. 'first') or string.format('%d', head + 1))

-- Events right after `after` that cannot be read any more (retention, or lost in a failover): the log goes on at the
-- next stored seq. Only retention and a failover's jump leave such a hole, so any gap here is one.
local reset = ''
local nextStored = redis.call('ZRANGEBYSCORE', p .. 'ix:all', '(' .. ARGV[2], '+inf', 'LIMIT', 0, 1)[1]
if nextStored then
  if tonumber(nextStored) > after + 1 then
    reset = nextStored
  end
elseif after < first - 1 then
  reset = string.format('%d', first)
end

local result = {string.format('%d', head), string.format('%d', first), '1', reset}
if after >= upTo then
  return result
end

local keys, typeFilter = {}, nil
if nTasks > 0 then
  for i = 1, nTasks do
    keys[i] = p .. 'ix:t:' .. ARGV[7 + i]
  end
  if nTypes > 0 then
    typeFilter = {}
    for i = 1, nTypes do
      typeFilter[i] = p .. 'ix:y:' .. ARGV[7 + nTasks + i]
    end
  end
elseif nTypes > 0 then
  for i = 1, nTypes do
    keys[i] = p .. 'ix:y:' .. ARGV[7 + i]
  end
else
  keys[1] = p .. 'ix:all'
end

-- One more than the page holds, to tell a full page from the end of the range. Each index gives its first `room`
-- seqs after the cursor; the first `room` of their merge are exactly the next `room` of the union.
local need = limit + 1
local seqs = {}
local cursor = string.format('%d', after)
local top = string.format('%d', upTo)
while #seqs < need do
  local room = need - #seqs
  local batch, seen = {}, {}
  for _, key in ipairs(keys) do
    for _, s in ipairs(redis.call('ZRANGEBYSCORE', key, '(' .. cursor, top, 'LIMIT', 0, room)) do
      if not seen[s] then
        seen[s] = true
        batch[#batch + 1] = tonumber(s)
      end
    end
  end
  if #batch == 0 then
    break
  end
  table.sort(batch)
  local take = math.min(#batch, room)
  for i = 1, take do
    local s = string.format('%d', batch[i])
    local wanted = true
    if typeFilter then
      wanted = false
      for _, typeKey in ipairs(typeFilter) do
        if redis.call('ZSCORE', typeKey, s) then
          wanted = true
          break
        end
      end
    end
    if wanted then
      seqs[#seqs + 1] = s
    end
  end
  cursor = string.format('%d', batch[take])
end

-- The events themselves, one HMGET per slice rather than an HGET each (a follower reads every event of the log, so
-- this is per event on every node); small slices while a byte limit may stop the page early.
local ev = p .. 'ev'
local bytes, count = 0, 0
local slice = maxBytes and 16 or 250
local jsons, fetchedFrom, fetchedTo = {}, 1, 0
for i, s in ipairs(seqs) do
  if count == limit or (maxBytes and bytes >= maxBytes) then
    result[3] = '0'
    break
  end
  if i > fetchedTo then
    fetchedFrom, fetchedTo = i, math.min(i + slice - 1, #seqs)
    jsons = redis.call('HMGET', ev, unpack(seqs, fetchedFrom, fetchedTo))
  end
  local json = jsons[i - fetchedFrom + 1]
  if json then
    bytes = bytes + #json
    count = count + 1
    result[#result + 1] = s
    result[#result + 1] = json
  end
end
return result
