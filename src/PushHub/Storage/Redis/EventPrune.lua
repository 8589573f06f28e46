-- EventPrune.lua: one bounded step of retention. Removes a prefix of the log (never a hole): events beyond the newest
-- `max events` or older than the cutoff, but never one that a pending delivery of an enabled webhook still needs.
-- Pending deliveries of disabled webhooks get their own copy of the event first, so they hold nothing back.
--
-- ARGV[1] P   ARGV[2] max events   ARGV[3] cutoff as the event timestamp text (ISO 8601, compares as text)
-- ARGV[4] chunk   ARGV[5] the P"wh:ver" the enabled ids were read at   ARGV[6] E   then E enabled webhook ids
--
-- The version check and every read that decides the boundary come before the first write.
-- Returns {'STALE', current wh:ver} | {'OK', removed, first}.
local p = ARGV[1]
local maxEvents = tonumber(ARGV[2])
local cutoff = ARGV[3]
local chunk = tonumber(ARGV[4])
local ver = redis.call('GET', p .. 'wh:ver') or '0'
if ver ~= ARGV[5] then
  return {'STALE', ver}
end
local enabled = {}
for i = 1, tonumber(ARGV[6]) do
  enabled[ARGV[6 + i]] = true
end

local head = tonumber(redis.call('GET', p .. 'seq') or '0')
local first = tonumber(redis.call('GET', p .. 'first') or string.format('%d', head + 1))
local ev = p .. 'ev'
local beyondCount = head - maxEvents + 1
local boundary = first
local candidates = redis.call('ZRANGEBYSCORE', p .. 'ix:all', string.format('%d', first), '+inf', 'LIMIT', 0, chunk)
local removing = {}
for _, s in ipairs(candidates) do
  local seq = tonumber(s)
  local json = redis.call('HGET', ev, s)
  local stamp = json and string.match(json, '"timestamp":"([^"]*)"') or ''
  if seq >= beyondCount and stamp >= cutoff then
    break
  end
  removing[#removing + 1] = {s, json}
  boundary = seq + 1
end

-- Pending deliveries: an enabled webhook's that has no copy of its own holds the boundary back. Only the step's own
-- candidates are looked up (one HMGET per webhook), never a webhook's whole outbox: the work stays bounded by the chunk.
local disabledPending = {}
if #removing > 0 then
  local seqs = {}
  for i, r in ipairs(removing) do
    seqs[i] = r[1]
  end
  for _, id in ipairs(redis.call('HKEYS', p .. 'wh')) do
    local deliveries = redis.call('HMGET', p .. 'obd:' .. id, unpack(seqs))
    for i, delivery in ipairs(deliveries) do
      local seq = tonumber(seqs[i])
      if seq >= boundary then
        break
      end
      if delivery and string.find(delivery, '"json":null', 1, true) then
        if enabled[id] then
          boundary = seq
          break
        else
          disabledPending[#disabledPending + 1] = {id, seqs[i], delivery}
        end
      end
    end
  end
end
if boundary <= first then
  return {'OK', '0', string.format('%d', first)}
end

-- Writes from here on.
for _, d in ipairs(disabledPending) do
  if tonumber(d[2]) < boundary then
    local json = redis.call('HGET', ev, d[2])
    if json then
      local copy = string.gsub(d[3], '"json":null', function() return '"json":' .. cjson.encode(json) end, 1)
      redis.call('HSET', p .. 'obd:' .. d[1], d[2], copy)
    end
  end
end
local last = string.format('%d', boundary - 1)
local removed, tasks, kinds = 0, {}, {}
for _, r in ipairs(removing) do
  if tonumber(r[1]) < boundary and r[2] then
    local task = string.match(r[2], '"task_id":"([^"]*)"')
    local kind = string.match(r[2], '"type":"([^"]*)"')
    if task then tasks[task] = true end
    if kind then kinds[kind] = true end
    redis.call('HDEL', ev, r[1])
    removed = removed + 1
  end
end
redis.call('ZREMRANGEBYSCORE', p .. 'ix:all', '-inf', last)
for task in pairs(tasks) do
  redis.call('ZREMRANGEBYSCORE', p .. 'ix:t:' .. task, '-inf', last)
  local tk = p .. 'task:' .. task
  local lastSeq = redis.call('HGET', tk, 'last_seq')
  if lastSeq and tonumber(lastSeq) < boundary then
    redis.call('DEL', tk)
    redis.call('ZREM', p .. 'tasks', task)
  end
end
for kind in pairs(kinds) do
  redis.call('ZREMRANGEBYSCORE', p .. 'ix:y:' .. kind, '-inf', last)
end
for _, key in ipairs(redis.call('ZRANGEBYSCORE', p .. 'ix:idem', '-inf', last)) do
  redis.call('DEL', p .. 'idem:' .. key)
end
redis.call('ZREMRANGEBYSCORE', p .. 'ix:idem', '-inf', last)
local newFirst = string.format('%d', boundary)
redis.call('SET', p .. 'first', newFirst)
return {'OK', string.format('%d', removed), newFirst}
