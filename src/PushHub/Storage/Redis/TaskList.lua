-- TaskList.lua: task projections from P"tasks" (member = task id, score = updated ms), filtered by status.
--
-- ARGV[1] P   ARGV[2] mode: 'recent' (most recently updated first, ties by task id ascending, as SQLite's
-- ORDER BY updated_at DESC, task_id) or 'silent' (running, updated before ARGV[4], oldest first)
-- ARGV[3] status filter or ''   ARGV[4] silent-since ms   ARGV[5] limit
--
-- Read-only. Returns per task: id, status, percent, message (nil when unset), created, updated, last_seq, count.
local p = ARGV[1]
local mode = ARGV[2]
local status = ARGV[3]
local limit = tonumber(ARGV[5])
local result, found, page = {}, 0, 200

-- Adds one task when it passes the filter; answers true once the limit is reached.
local function take(id)
  local t = redis.call('HMGET', p .. 'task:' .. id, 'status', 'percent', 'message', 'created', 'updated', 'last_seq', 'count')
  if t[1] and (status == '' or t[1] == status) then
    result[#result + 1] = id
    for i = 1, 7 do
      result[#result + 1] = t[i]
    end
    found = found + 1
  end
  return found >= limit
end

if mode == 'silent' then
  -- Ascending by score, and equal scores by member ascending: already the order wanted.
  local offset = 0
  while found < limit do
    local ids = redis.call('ZRANGEBYSCORE', p .. 'tasks', '-inf', '(' .. ARGV[4], 'LIMIT', offset, page)
    if #ids == 0 then
      break
    end
    for _, id in ipairs(ids) do
      if take(id) then
        return result
      end
    end
    offset = offset + page
  end
  return result
end

-- 'recent': descending by score, but a run of equal scores ascending by member. A run is reversed as read; the
-- page's last run may go on past the page, so it is read whole by its score instead. The next page starts below it.
local cursor = '+inf'
while found < limit do
  local entries = redis.call('ZREVRANGEBYSCORE', p .. 'tasks', cursor, '-inf', 'WITHSCORES', 'LIMIT', 0, page)
  local n = #entries / 2
  if n == 0 then
    break
  end
  local i = 1
  while i <= n do
    local score = entries[2 * i]
    local j = i
    while j < n and entries[2 * (j + 1)] == score do
      j = j + 1
    end
    if j == n then
      for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'tasks', score, score)) do
        if take(id) then
          return result
        end
      end
    else
      for k = j, i, -1 do
        if take(entries[2 * k - 1]) then
          return result
        end
      end
    end
    cursor = '(' .. score
    i = j + 1
  end
end
return result
