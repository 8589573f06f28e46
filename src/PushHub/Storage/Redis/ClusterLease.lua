-- ClusterLease.lua: a cluster lease P"lease:" .. name, held by a node id with a PX expiry.
--
-- KEYS[1] the lease key   ARGV[1] 'acquire' or 'release'   ARGV[2] this node's id   ARGV[3] duration ms
--
-- acquire: takes a free lease, or renews it only when this node holds it; answers 1 when this node holds it after.
-- release: deletes it only when this node holds it. The holder check comes before the write.
local holder = redis.call('GET', KEYS[1])
if ARGV[1] == 'release' then
  if holder == ARGV[2] then
    redis.call('DEL', KEYS[1])
  end
  return 0
end
if holder and holder ~= ARGV[2] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
