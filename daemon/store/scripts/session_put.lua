-- session_put: write a channel's session for one resident and renew its lifetime, atomically.
--
-- ARGV  1 key        channel_session:<channel>:<id>
--       2 ttl_s
--       3.. field, value, … (may be none: only renew)
--
-- Returns 1.
local key, ttl = ARGV[1], ARGV[2]
if #ARGV > 2 then redis.call('HSET', key, unpack(ARGV, 3)) end
redis.call('EXPIRE', key, ttl)
return 1
