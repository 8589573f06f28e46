-- TaskList.lua: task projections from P"tasks" (member = task id, score = updated ms), filtered by status.
--
-- ARGV[1] P   ARGV[2] mode: 'recent' (most recently updated first) or 'silent' (running, updated before ARGV[4],
-- oldest first)   ARGV[3] status filter or ''   ARGV[4] silent-since ms   ARGV[5] limit
--
-- Read-only. Returns per task: id, status, percent, message (nil when unset), created, updated, last_seq, count.
local p = ARGV[1]
local mode = ARGV[2]
local status = ARGV[3]
local limit = tonumber(ARGV[5])
local result, found, offset, page = {}, 0, 0, 200
while found < limit do
  local ids
  if mode == 'silent' then
    ids = redis.call('ZRANGEBYSCORE', p .. 'tasks', '-inf', '(' .. ARGV[4], 'LIMIT', offset, page)
  else
    ids = redis.call('ZREVRANGE', p .. 'tasks', offset, offset + page - 1)
  end
  if #ids == 0 then
    break
  end
  for _, id in ipairs(ids) do
    local t = redis.call('HMGET', p .. 'task:' .. id, 'status', 'percent', 'message', 'created', 'updated', 'last_seq', 'count')
    if t[1] and (status == '' or t[1] == status) then
      result[#result + 1] = id
      for i = 1, 7 do
        result[#result + 1] = t[i]
      end
      found = found + 1
      if found == limit then
        break
      end
    end
  end
  offset = offset + page
end
return result
