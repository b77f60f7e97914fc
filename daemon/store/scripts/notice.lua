-- notice: the hub itself tells the resident something about their conversation, in a text
-- already rendered from a template: that a new conversation arrived (a reference number and the
-- expected wait, or when the queue opens), or that it was resolved. Each notice at most once.
--
-- ARGV  1 conversation_id
--       2 template       the template the text was rendered from:
--                          "ack" | "after_hours"  once per conversation (acknowledged_at)
--                          "resolved"             once per resolution, and only while the
--                                                 conversation is still resolved
--                                                 (resolved_notice_for = the resolved_at it told)
--       3 author_name    shown to the reader ("City 311")
--       4 text           NFC UTF-8, already in the resident's language and channel's shape
--       5 events_maxlen
--
-- The message is outbound ("out") by author "system" on the conversation's reply channel, with
-- its delivery "pending" in conv:{id}:delivery, like an agent's reply; unlike a reply it changes
-- neither the status, nor the holder, nor first_response_at, nor last_reply.
-- Returns {message_id, reply_channel, reply_address, status}, or {} when there is nothing to
-- tell (told already; resolved no more). Errors: "not_found …", "invalid …" (another template).
local conv_id, template, author_name, text, maxlen = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local key = conv_key(conv_id)
local status, resolved_at, told = unpack(redis.call('HMGET', key, 'status', 'resolved_at',
  'resolved_notice_for'))
if not status then return redis.error_reply('not_found no conversation ' .. conv_id) end
local now = now_ms()
if template == 'ack' or template == 'after_hours' then
  if redis.call('HSETNX', key, 'acknowledged_at', now) == 0 then return {} end
elseif template == 'resolved' then
  if status ~= 'resolved' or not resolved_at or told == resolved_at then return {} end
  redis.call('HSET', key, 'resolved_notice_for', resolved_at)
else
  return redis.error_reply('invalid notice ' .. template)
end

local message = append_message(conv_id, {
  'direction', 'out', 'author', 'system', 'author_name', author_name,
  'channel', redis.call('HGET', key, 'reply_channel'), 'text', text, 'template', template,
  'created_at', tostring(now)})
redis.call('HSET', key .. ':delivery', message.id, 'pending')
message.delivery = 'pending'
redis.call('HSET', key, 'last_message_id', message.id)
redis.call('HINCRBY', key, 'message_count', 1)
redis.call('ZADD', 'convs', now, conv_id)
local conv = conversation(conv_id)
publish(maxlen, 'message.created', conv, {message = message})
return {message.id, conv.reply_channel, conv.reply_address, conv.status}
