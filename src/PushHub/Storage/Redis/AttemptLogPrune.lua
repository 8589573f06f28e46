-- Retention of the attempt logs: drops the lines older than the cutoff from the old end of every webhook's log
-- (LPUSH keeps it newest first; the cap of MaxAttemptLog lines is kept by every push).
-- Keys: P"wh", P"att:"id. ARGV[1] = P, [2] = cutoff ms, [3] = the most lines one call removes (the caller calls
-- again while it answers MORE, so no call keeps Redis busy for long). One key at a time, each trim on its own is
-- all there is to it: no read decides another key's write. Returns {"OK", lines removed, "MORE" or "DONE"}.
local p, cutoff, chunk = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local removed = 0
for _, id in ipairs(redis.call('HKEYS', p .. 'wh')) do
  local key = p .. 'att:' .. id
  while true do
    local oldest = redis.call('LINDEX', key, -1)
    if not oldest or cjson.decode(oldest).at >= cutoff then break end
    if removed == chunk then
      return {'OK', removed, 'MORE'}
    end
    redis.call('RPOP', key)
    removed = removed + 1
  end
end
return {'OK', removed, 'DONE'}
