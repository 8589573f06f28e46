-- Claims up to max due deliveries of one webhook under a lease, oldest first, after removing the superseded
-- task.progress deliveries of a coalescing webhook. Two claims never get the same delivery: the script runs alone,
-- and a claimed delivery is rescored to its lease end, so it is not due again until the lease ends.
-- Keys: P"wh:ver", P"ob:"id (zset seq -> due ms), P"obd:"id (hash seq -> delivery JSON), P"ev".
-- ARGV[1] = P, [2] = webhook id, [3] = now ms, [4] = lease end ms, [5] = "<node>:<token>", [6] = max,
-- [7] = the wh:ver the caller's webhook facts are from, [8] = "1" when the webhook is enabled, [9] = "1" to coalesce.
-- Reads first (the version, the coalescing scan, the due deliveries and their events), then the writes.
-- Returns {"STALE"} when the webhooks changed since the caller loaded them, else
-- {"OK", coalesced, seq1, delivery1, event1, seq2, ...} with "" for an event no longer stored anywhere.
local p, id = ARGV[1], ARGV[2]
local now, untilMs, lease, max = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6])
local ob, obd = p .. 'ob:' .. id, p .. 'obd:' .. id
local function val(x) if x == cjson.null then return nil end return x end

if (redis.call('GET', p .. 'wh:ver') or '0') ~= ARGV[7] then
  return {'STALE'}
end
if ARGV[8] ~= '1' or #redis.call('ZRANGEBYSCORE', ob, '-inf', now, 'LIMIT', 0, 1) == 0 then
  return {'OK', 0}
end

-- Superseded progress: a pending task.progress delivery with a newer one of the same task. One under a running lease
-- is left to its claim (it may be on the wire already). The scan reads every pending delivery of the webhook, so it
-- runs only when something is due (above): coalescing webhooks are chat, paging and email, with small outboxes.
local removed, removedCount = {}, 0
if ARGV[9] == '1' then
  local all = redis.call('HGETALL', obd)
  local newest, progress = {}, {}
  for i = 1, #all, 2 do
    local d = cjson.decode(all[i + 1])
    if d.type == 'task.progress' then
      local seq = tonumber(all[i])
      progress[#progress + 1] = {seq, d}
      if newest[d.task] == nil or seq > newest[d.task] then
        newest[d.task] = seq
      end
    end
  end
  for _, entry in ipairs(progress) do
    local seq, d = entry[1], entry[2]
    local leaseUntil = val(d.lease_until)
    if seq < newest[d.task] and (leaseUntil == nil or leaseUntil <= now) then
      removed[tostring(seq)] = true
      removedCount = removedCount + 1
    end
  end
end

-- The due ones, by due time and then seq. A zset breaks score ties by the member's text ("10" < "9"), so the members
-- tied with the last one fetched are fetched too before sorting: all of them up to a bound (one append batch shares a
-- score; replays and hand-overs are scored by their events' times, so they do not pile up on one).
local fetched = redis.call('ZRANGEBYSCORE', ob, '-inf', now, 'WITHSCORES', 'LIMIT', 0, max + removedCount)
local candidates = {}
for i = 1, #fetched, 2 do
  candidates[#candidates + 1] = {fetched[i], tonumber(fetched[i + 1])}
end
if #candidates > 0 then
  local last = candidates[#candidates][2]
  local tied = redis.call('ZRANGEBYSCORE', ob, last, last, 'LIMIT', 0, 10000)
  local seen = {}
  for _, c in ipairs(candidates) do seen[c[1]] = true end
  for _, member in ipairs(tied) do
    if not seen[member] then candidates[#candidates + 1] = {member, last} end
  end
end
table.sort(candidates, function(a, b)
  if a[2] ~= b[2] then return a[2] < b[2] end
  return tonumber(a[1]) < tonumber(b[1])
end)

local claimed = {}
for _, c in ipairs(candidates) do
  if #claimed >= max then break end
  if not removed[c[1]] then
    local raw = redis.call('HGET', obd, c[1])
    if raw then
      local d = cjson.decode(raw)
      local leaseUntil = val(d.lease_until)
      if leaseUntil == nil or leaseUntil <= now then
        local json = val(d.json) or redis.call('HGET', p .. 'ev', c[1]) or ''
        -- The due time before any lease, so that a released claim is due again as it was.
        if val(d.next) == nil then d.next = c[2] end
        d.lease = lease
        d.lease_until = untilMs
        claimed[#claimed + 1] = {c[1], d, json}
      end
    end
  end
end

for seq in pairs(removed) do
  redis.call('ZREM', ob, seq)
  redis.call('HDEL', obd, seq)
end
local reply = {'OK', removedCount}
for _, c in ipairs(claimed) do
  local encoded = cjson.encode(c[2])
  redis.call('HSET', obd, c[1], encoded)
  redis.call('ZADD', ob, untilMs, c[1])
  reply[#reply + 1] = c[1]
  reply[#reply + 1] = encoded
  reply[#reply + 1] = c[3]
end
return reply
