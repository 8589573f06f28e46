-- Shared by the outbox scripts (prepended to each that hands deliveries over or writes attempt lines; no keys or
-- arguments of its own). Delivery JSON: {"task","type","attempts","event_at","lease","lease_until","json","fb",
-- "next","status","from"}; the append step writes the first eight, a missing field reads as null.
local function val(x) if x == cjson.null then return nil end return x end

local MAX_ATTEMPT_LOG = 1000

local function pushAttempt(p, webhookId, line)
  local key = p .. 'att:' .. webhookId
  redis.call('LPUSH', key, line)
  redis.call('LTRIM', key, 0, MAX_ATTEMPT_LOG - 1)
end

-- Due at once, in event order: a delivery enqueued "now" (replay, hand-over) is scored by its event's commit time, so
-- that a large replay does not put thousands of deliveries on one score (see outbox-claim.lua on ties).
local function dueAtOnce(eventAt, now) return math.min(eventAt or now, now) end

-- Enqueues the event of delivery d (seq) of webhook wid for its fallback fid, due at once, with a line in both
-- attempt logs, and marks d as handed over (the caller writes d back or drops it). Writes only. Callers hand over
-- only what was not handed over yet, and never straight back to where it came from (the API refuses such a cycle;
-- this keeps one that slipped in from bouncing an event between two webhooks for ever).
local function handOver(p, wid, fid, seq, d, now, why)
  pushAttempt(p, wid, cjson.encode({w = wid, seq = tonumber(seq), n = d.attempts or 0, o = 'fallback', ms = 0,
    e = 'handed to fallback webhook ' .. fid .. ' (' .. why .. ')', at = now}))
  pushAttempt(p, fid, cjson.encode({w = fid, seq = tonumber(seq), n = 0, o = 'fallback', ms = 0,
    e = 'handed over from webhook ' .. wid .. ' (' .. why .. ')', at = now}))
  local copy = {task = d.task, type = d.type, attempts = 0, event_at = d.event_at, lease = cjson.null,
    lease_until = cjson.null, json = d.json or cjson.null, fb = false, next = dueAtOnce(d.event_at, now), from = wid}
  redis.call('HSET', p .. 'obd:' .. fid, seq, cjson.encode(copy))
  redis.call('ZADD', p .. 'ob:' .. fid, copy.next, seq)
  d.fb = true
end

-- The delivery seq of webhook wid as stored (decoded) while the claim ending in token (":<token>") holds it; nil when
-- it does not (the lease ran out and another claim took it, or it was resolved or deleted). Reads only.
local function claimedDelivery(obd, seq, token)
  local raw = redis.call('HGET', obd, seq)
  if not raw then
    return nil
  end
  local d = cjson.decode(raw)
  local lease = val(d.lease)
  if lease == nil or lease:sub(-#token) ~= token then
    return nil
  end
  return d
end

-- Settles claimed delivery d (seq) in ob/obd by a kind that needs no webhook facts: delivered and discard remove it,
-- retry gives it its next attempt at `at` (spent: attempts spent, 0 or 1; status: the answer's or nil), release
-- gives it back due as it was. Writes only. False for any other kind.
local function settle(ob, obd, seq, d, kind, at, spent, status)
  if kind == 'delivered' or kind == 'discard' then
    redis.call('ZREM', ob, seq)
    redis.call('HDEL', obd, seq)
  elseif kind == 'retry' then
    d.attempts = (d.attempts or 0) + spent
    if status then d.status = status end
    d.next, d.lease, d.lease_until = at, cjson.null, cjson.null
    redis.call('HSET', obd, seq, cjson.encode(d))
    redis.call('ZADD', ob, at, seq)
  elseif kind == 'release' then
    local due = val(d.next) or d.event_at
    d.lease, d.lease_until = cjson.null, cjson.null
    redis.call('HSET', obd, seq, cjson.encode(d))
    redis.call('ZADD', ob, due, seq)
  else
    return false
  end
  return true
end
