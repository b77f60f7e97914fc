-- set_status: an agent moves a conversation through its life.
--
-- ARGV  1 conversation_id
--       2 status         queued | assigned | pending_resident | resolved | closed
--       3 author         "agent:<username>"
--       4 author_name
--       5 events_maxlen
--
-- queued: back to its queue, without a holder. assigned: needs a holder. resolved: stamps
-- resolved_at, leaves the queue, and is no longer the contact's open conversation (a resident's
-- next message on the same thread reopens it; a message without a thread opens a new one).
-- Leaving resolved for anything but closed reopens it (see reopen() in common.lua).
-- closed: final; nothing reopens it. Each change adds a system line to the transcript.
--
-- Returns the status the conversation had before (the same as the new one when nothing changed:
-- whoever asks learns whether it was their call that made the change).
-- Errors: "not_found …", "conflict …" (a change the state forbids).
local conv_id, status, author, author_name, maxlen = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local key = conv_key(conv_id)
local fields = redis.call('HMGET', key, 'status', 'queue', 'agent', 'contact', 'priority',
  'created_at', 'reply_channel')
local current, queue, holder, contact, priority, created_at, channel = unpack(fields)
if not current then return redis.error_reply('not_found no conversation ' .. conv_id) end
if current == 'closed' then
  return redis.error_reply('conflict conversation ' .. conv_id .. ' is closed')
end
if status == current then return current end
if status == 'assigned' and (not holder or holder == '') then
  return redis.error_reply('conflict conversation ' .. conv_id .. ' has no agent; assign it')
end

local now = now_ms()
local ended_line
local open_key = 'contact:{' .. contact .. '}:open'
if status == 'queued' then
  redis.call('HDEL', key, 'agent')
  redis.call('ZADD', 'queue:' .. queue, queue_score(priority, created_at), conv_id)
  redis.call('SADD', 'queues', queue)
else
  redis.call('ZREM', 'queue:' .. queue, conv_id)
end
if status == 'resolved' or status == 'closed' or status == 'queued' then
  release(conv_id)  -- the holder's capacity is free again
else
  take(conv_id, holder, channel)
end
if status == 'resolved' or (status == 'closed' and current ~= 'resolved') then
  stat(queue, 'resolved', 1)
  if not redis.call('HGET', key, 'reopened') then stat(queue, 'resolved_first_contact', 1) end
end
if status == 'resolved' or status == 'closed' then
  -- The interpreter is free for another conversation.
  ended_line = end_interpretation(conv_id, 'the conversation was ' .. status, now)
  redis.call('HSET', key, status .. '_at', now)
  if redis.call('GET', open_key) == conv_id then redis.call('DEL', open_key) end
elseif current == 'resolved' then
  reopen(conv_id, contact)
end
redis.call('HSET', key, 'status', status, 'updated_at', now)

local message = append_message(conv_id, {
  'direction', 'system', 'author', author, 'author_name', author_name,
  'text', 'status: ' .. current .. ' → ' .. status, 'created_at', tostring(now)})
redis.call('HSET', key, 'last_message_id', message.id)
redis.call('ZADD', 'convs', now, conv_id)
local conv = conversation(conv_id)
publish(maxlen, 'conversation.updated', conv, {previous_agent = holder or ''})
publish(maxlen, 'message.created', conv, {message = message})
if ended_line then publish(maxlen, 'message.created', conv, {message = ended_line}) end
return current
