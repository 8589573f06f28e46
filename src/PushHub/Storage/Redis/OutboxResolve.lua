-- Resolves a claimed delivery, with its attempt line, in one step; only the holder of the claim may. The store sends
-- dead letters and disabling here; the other kinds go many at a time through OutboxResolveMany.lua.
-- Keys: P"wh:ver", P"wh", P"ob:"id, P"obd:"id, P"att:"id, P"ev", P"dl", P"dl:id", P"dl:w:"id, and for a
-- fallback fid P"ob:"fid, P"obd:"fid, P"att:"fid.
-- ARGV[1] = P, [2] = webhook id, [3] = seq, [4] = the claim's token (its lease is "<node>:<token>"; any node may
-- resolve a claim whose token it holds), [5] = now ms, [6] = the wh:ver
-- the caller's webhook facts are from, [7] = kind, [8] = the attempt line JSON or "", then by kind:
--   retry: [9] = next attempt ms, [10] = attempts spent (0 or 1), [11] = status or "";
--   dead_letter / disable: [9] = reason, [10] = attempts, [11] = status or "", [12] = fallback id or "",
--   disable only: [13] = the webhook's JSON disabled.
--   delivered, discard, release: nothing more.
-- Reads first: the claim check (refuses, writing nothing, when the claim is no longer held), the version check for
-- the kinds that depend on the webhook (fallback, disable), and every delivery and event a dead letter copies.
-- Returns {"OK"}, {"LOST"} or {"STALE"}.
local p, wid, seq, token, now, kind = ARGV[1], ARGV[2], ARGV[3], ':' .. ARGV[4], tonumber(ARGV[5]), ARGV[7]
local ob, obd = p .. 'ob:' .. wid, p .. 'obd:' .. wid

local d = claimedDelivery(obd, seq, token)
if not d then
  return {'LOST'}
end
if (kind == 'dead_letter' or kind == 'disable') and (redis.call('GET', p .. 'wh:ver') or '0') ~= ARGV[6] then
  return {'STALE'}
end

-- Dead letters: the claimed delivery, or everything the webhook has pending, each with its own copy of the event.
local giveUp = {}
if kind == 'dead_letter' then
  giveUp[1] = {seq, d}
elseif kind == 'disable' then
  local all = redis.call('HGETALL', obd)
  for i = 1, #all, 2 do
    giveUp[#giveUp + 1] = {all[i], all[i] == seq and d or cjson.decode(all[i + 1])}
  end
  table.sort(giveUp, function(a, b) return tonumber(a[1]) < tonumber(b[1]) end)
end
for _, g in ipairs(giveUp) do
  g[3] = val(g[2].json) or redis.call('HGET', p .. 'ev', g[1])
end

if ARGV[8] ~= '' then
  pushAttempt(p, wid, ARGV[8])
end
if settle(ob, obd, seq, d, kind, tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])) then
  return {'OK'}
elseif kind == 'dead_letter' or kind == 'disable' then
  local reason, fid = ARGV[9], ARGV[12]
  if kind == 'disable' then
    redis.call('HSET', p .. 'wh', wid, ARGV[13])
    redis.call('INCR', p .. 'wh:ver')
  end
  for _, g in ipairs(giveUp) do
    local s, e = g[1], g[2]
    if fid ~= '' and e.fb ~= true and val(e.from) ~= fid then
      handOver(p, wid, fid, s, e, now, 'dead letter: ' .. reason)
    end
    if g[3] then
      local attempts, status = e.attempts or 0, val(e.status)
      if s == seq then
        attempts = tonumber(ARGV[10])
        if ARGV[11] ~= '' then status = tonumber(ARGV[11]) end
      end
      local id = redis.call('INCR', p .. 'dl:id')
      redis.call('HSET', p .. 'dl', id, cjson.encode({id = id, w = wid, seq = tonumber(s), task = e.task, type = e.type,
        reason = reason, attempts = attempts, status = status or cjson.null, at = now, json = g[3],
        event_at = e.event_at, from = val(e.from) or cjson.null, fb = e.fb == true}))
      redis.call('ZADD', p .. 'dl:w:' .. wid, id, id)
    end
    redis.call('ZREM', ob, s)
    redis.call('HDEL', obd, s)
  end
else
  return redis.error_reply('unknown resolution ' .. kind)
end
return {'OK'}
