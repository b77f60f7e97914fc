-- transfer: a conversation moves to another queue, to be routed there (an agent hands it on,
-- a supervisor moves it).
--
-- ARGV  1 conversation_id
--       2 queue          the new queue
--       3 author         "agent:<username>" of who did it
--       4 author_name
--       5 events_maxlen
--
-- It leaves its old queue and its holder (whose capacity is freed), joins the new queue as
-- queued (in its original order of age and priority), and its language wait starts again.
-- A system line records the move.
-- Returns "queued". Errors: "not_found …", "conflict …" (resolved or closed).
local conv_id, queue, author, author_name, maxlen = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local key = conv_key(conv_id)
local status, holder = unpack(redis.call('HMGET', key, 'status', 'agent'))
if not status then return redis.error_reply('not_found no conversation ' .. conv_id) end
if status == 'closed' or status == 'resolved' then
  return redis.error_reply('conflict conversation ' .. conv_id .. ' is ' .. status)
end
local now = now_ms()
local old_queue = move_to_queue(conv_id, queue, now)
local text = 'transferred to queue ' .. queue
if old_queue ~= queue then text = text .. ' from ' .. old_queue end
local message = append_message(conv_id, {
  'direction', 'system', 'author', author, 'author_name', author_name,
  'text', text, 'created_at', tostring(now)})
redis.call('HSET', key, 'last_message_id', message.id)
redis.call('ZADD', 'convs', now, conv_id)
local conv = conversation(conv_id)
publish(maxlen, 'conversation.updated', conv, {previous_agent = holder or ''})
publish(maxlen, 'message.created', conv, {message = message})
return 'queued'
