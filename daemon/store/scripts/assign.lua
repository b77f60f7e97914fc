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
local message = system_line(conv_id, author, author_name, 'assigned to ' .. agent, now)
-- The new holder reads the resident's language: the interpreter is released.
local released = interpreter_not_needed(conv_id, agent,
  redis.call('HGET', 'agent:{' .. agent .. '}', 'languages'), now)
local conv = conversation(conv_id)
publish(maxlen, 'conversation.updated', conv, {previous_agent = holder or ''})
publish(maxlen, 'message.created', conv, {message = message})
if released then publish(maxlen, 'message.created', conv, {message = released}) end
return status
