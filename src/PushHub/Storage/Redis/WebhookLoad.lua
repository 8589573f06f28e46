-- The webhooks as one consistent snapshot: the version counter and every stored webhook.
-- Keys (built from the prefix): P"wh:ver", P"wh". ARGV[1] = P.
-- Read-only. Returns {version, {id1, json1, id2, json2, ...}}.
local p = ARGV[1]
return {redis.call('GET', p .. 'wh:ver') or '0', redis.call('HGETALL', p .. 'wh')}
