-- assign: give a conversation to an agent (a manual claim, or a supervisor's reassignment).
--
-- ARGV  1 conversation_id
--       2 agent          username of the new holder
--       3 author         "agent:<username>" of who did it
--       4 author_name
--       5 events_maxlen
--
-- The conversation leaves its queue; status becomes "assigned" unless it is pending_resident
-- (it stays so). It counts against the new holder's capacity on its reply channel (take()), no
-- longer against the previous holder's. A system line records the change.
-- Returns the new status. Errors: "not_found …", "conflict …" (resolved or closed).
local conv_id, agent, author, author_name, maxlen = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local key = conv_key(conv_id)
local current, queue, holder, channel =
  unpack(redis.call('HMGET', key, 'status', 'queue', 'agent', 'reply_channel'))
if not current then return redis.error_reply('not_found no conversation ' .. conv_id) end
if current == 'closed' or current == 'resolved' then
  return redis.error_reply('conflict conversation ' .. conv_id .. ' is ' .. current)
end
if holder == agent then return current end

local now = now_ms()
local status = current == 'pending_resident' and current or 'assigned'
redis.call('ZREM', 'queue:' .. queue, conv_id)
redis.call('HSET', key, 'agent', agent, 'status', status, 'assigned_at', now, 'updated_at', now)
take(conv_id, agent, channel)
answered(conv_id, now)
local message = append_message(conv_id, {
  'direction', 'system', 'author', author, 'author_name', author_name,
  'text', 'assigned to ' .. agent, 'created_at', tostring(now)})
redis.call('HSET', key, 'last_message_id', message.id)
redis.call('ZADD', 'convs', now, conv_id)
local conv = conversation(conv_id)
publish(maxlen, 'conversation.updated', conv, {previous_agent = holder or ''})
publish(maxlen, 'message.created', conv, {message = message})
return status
