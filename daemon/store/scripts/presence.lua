-- presence: an agent is available, away or offline.
--
-- ARGV  1 username
--       2 presence       available | away | offline
--       3 events_maxlen
--
-- available puts the agent in route:available (an interpreter in interpret:available) (idle
-- since now, unless already there); away and offline take it out. An interpreter who goes
-- away keeps the conversations it interprets (until it leaves them or does not answer in time);
-- one who goes offline leaves them, and others are looked for. Conversations the agent holds stay with it (the caller requeues
-- them when an agent is gone for good). Publishes agent.updated.
-- Returns the previous presence. Errors: "not_found …".
local username, presence, maxlen = ARGV[1], ARGV[2], ARGV[3]
local key = 'agent:{' .. username .. '}'
local previous, role = unpack(redis.call('HMGET', key, 'presence', 'role'))
if not previous then return redis.error_reply('not_found no agent ' .. username) end
local now = now_ms()
-- Interpreters wait for conversations to interpret, not for conversations of a queue.
local line = role == 'interpreter' and 'interpret:available' or 'route:available'
if presence == 'available' then
  redis.call('ZADD', line, 'NX', now, username)
else
  redis.call('ZREM', line, username)
end
-- An interpreter who goes offline leaves what it interprets: others take over at once.
if role == 'interpreter' and presence == 'offline' then
  interpreter_offline(username, now, maxlen)
end
if previous ~= presence then
  redis.call('HSET', key, 'presence', presence, 'presence_at', now)
  publish_agent(maxlen, 'agent.updated', {username = username, presence = presence,
    previous_presence = previous})
end
return previous
