-- agent_create: add an agent account, once.
--
-- ARGV  1 username   [a-z0-9._-], unique
--       2 display_name
--       3 role       agent | supervisor | manager | admin
--       4 languages  comma-separated BCP 47 tags
--       5 queues     comma-separated queue names
--       6 password   argon2id encoded hash (never the password)
--       7 capacity   "webchat:3,sms:4" (may be empty: routing.capacity applies)
--
-- Keys: agent:{<username>} hash, agents set, agents:role:<role> set.
-- Returns 1 when created, 0 when the username exists (nothing changed).
local username = ARGV[1]
local key = 'agent:{' .. username .. '}'
if redis.call('EXISTS', key) == 1 then return 0 end
redis.call('HSET', key, 'username', username, 'display_name', ARGV[2], 'role', ARGV[3],
  'languages', ARGV[4], 'queues', ARGV[5], 'password', ARGV[6], 'created_at', now_ms(),
  'presence', 'offline', 'capacity', ARGV[7] or '')
redis.call('SADD', 'agents', username)
redis.call('SADD', 'agents:role:' .. ARGV[3], username)
return 1
