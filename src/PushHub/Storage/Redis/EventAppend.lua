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

-- The events to store, grouped by the key each write goes to: a handful of variadic commands per script instead of a
-- dozen per event (a script's cost is mostly its redis.call()s, not what each one does). Tasks, types and webhooks keep
-- the order they first appear in, so the script's effects do not depend on Lua's table order. Each task's existence
-- is read here, before the first write.
local now = ARGV[4]
local evArgs, allArgs, idemSet, idemIx = {}, {}, {}, {}
local taskOrder, taskState, typeOrder, typeSeqs = {}, {}, {}, {}
for i = 1, n do
  if kinds[i] == 'n' then
    local o = base + (i - 1) * 7
    local task, kind, key = ARGV[o + 1], ARGV[o + 2], ARGV[o + 3]
    local status, percent, message = ARGV[o + 4], ARGV[o + 5], ARGV[o + 6]
    local s = string.format('%d', seqs[i])
    evArgs[#evArgs + 1] = s
    evArgs[#evArgs + 1] = '{"seq":' .. s .. ARGV[o + 7]
    allArgs[#allArgs + 1] = s
    allArgs[#allArgs + 1] = s
    if key ~= '' then
      idemSet[#idemSet + 1] = p .. 'idem:' .. key
      idemSet[#idemSet + 1] = s
      idemIx[#idemIx + 1] = s
      idemIx[#idemIx + 1] = key
    end
    local t = taskState[task]
    if not t then
      t = {new = redis.call('EXISTS', p .. 'task:' .. task) == 0, count = 0, seqs = {}}
      taskState[task] = t
      taskOrder[#taskOrder + 1] = task
    end
    -- As one event at a time would leave it: the last status, percent and message given win.
    if status ~= '' then t.status = status end
    if percent ~= '' then t.percent = percent end
    if message ~= '' then t.message = string.sub(message, 2) end
    t.count = t.count + 1
    t.last = s
    t.seqs[#t.seqs + 1] = s
    t.seqs[#t.seqs + 1] = s
    local y = typeSeqs[kind]
    if not y then
      y = {}
      typeSeqs[kind] = y
      typeOrder[#typeOrder + 1] = kind
    end
    y[#y + 1] = s
    y[#y + 1] = s
  end
end

-- Writes from here on. Long argument lists go in slices: Lua's unpack() is bounded by its C stack.
local function call(command, key, args)
  for from = 1, #args, 1000 do
    redis.call(command, key, unpack(args, from, math.min(from + 999, #args)))
  end
end

if #evArgs > 0 then
  call('HSET', p .. 'ev', evArgs)
  call('ZADD', p .. 'ix:all', allArgs)
  for _, kind in ipairs(typeOrder) do
    call('ZADD', p .. 'ix:y:' .. kind, typeSeqs[kind])
  end
  if #idemSet > 0 then
    for from = 1, #idemSet, 1000 do
      redis.call('MSET', unpack(idemSet, from, math.min(from + 999, #idemSet)))
    end
    call('ZADD', p .. 'ix:idem', idemIx)
  end
  local touched = {}
  for _, task in ipairs(taskOrder) do
    local t = taskState[task]
    local tk = p .. 'task:' .. task
    call('ZADD', p .. 'ix:t:' .. task, t.seqs)
    local fields = {'updated', now, 'last_seq', t.last}
    if t.new then
      fields[#fields + 1] = 'status'
      fields[#fields + 1] = t.status or 'created'
      fields[#fields + 1] = 'created'
      fields[#fields + 1] = now
      fields[#fields + 1] = 'count'
      fields[#fields + 1] = string.format('%d', t.count)
    elseif t.status then
      fields[#fields + 1] = 'status'
      fields[#fields + 1] = t.status
    end
    if t.percent then
      fields[#fields + 1] = 'percent'
      fields[#fields + 1] = t.percent
    end
    if t.message then
      fields[#fields + 1] = 'message'
      fields[#fields + 1] = t.message
    end
    redis.call('HSET', tk, unpack(fields))
    if not t.new then
      redis.call('HINCRBY', tk, 'count', t.count)
    end
    touched[#touched + 1] = now
    touched[#touched + 1] = task
  end
  call('ZADD', p .. 'tasks', touched)
end

local obOrder, obSeqs, obDeliveries = {}, {}, {}
for j = 1, m do
  local o = base + n * 7 + (j - 1) * 3
  local index = tonumber(ARGV[o + 2])
  if kinds[index] == 'n' then
    local id = ARGV[o + 1]
    local s = string.format('%d', seqs[index])
    if not obSeqs[id] then
      obSeqs[id], obDeliveries[id] = {}, {}
      obOrder[#obOrder + 1] = id
    end
    local z, d = obSeqs[id], obDeliveries[id]
    z[#z + 1] = now
    z[#z + 1] = s
    d[#d + 1] = s
    d[#d + 1] = ARGV[o + 3]
  end
end
for _, id in ipairs(obOrder) do
  call('ZADD', p .. 'ob:' .. id, obSeqs[id])
  call('HSET', p .. 'obd:' .. id, obDeliveries[id])
end

local head = string.format('%d', nextSeq)
if nextSeq > seq then
  redis.call('MSET', p .. 'seq', head, p .. 'floor', head)
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
