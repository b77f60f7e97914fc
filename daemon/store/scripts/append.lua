-- append: an agent's reply, internal note or a system line, added to a conversation.
--
-- ARGV  1 conversation_id
--       2 direction      "out" (to the resident) | "note" (agents only) | "system"
--       3 author         "agent:<username>" | "system"
--       4 author_name    shown to the reader
--       5 text           NFC UTF-8
--       6 agent          username of the author when an agent, else empty
--       7 events_maxlen
--       8 "direct": a reply goes to the resident as written even while an interpreter is
--         requested or there (the agent knows the resident reads it)
--
-- A reply ("out") to a conversation nobody holds makes the replying agent its holder (it leaves
-- the queue), records first_response_at once, sets status pending_resident and marks the
-- message's delivery "pending" in conv:{id}:delivery. last_reply keeps the newest reply's text
-- (Open311 shows it as status_notes). A reply to a resolved conversation reopens it. Notes and system lines change no status.
-- A message the hub itself sends to the resident (direction "out", author "system": the SMS
-- language menu and its confirmation) is sent and tracked like a reply (delivery "pending"), but
-- it is not an agent answering: it changes no status, holder, first response or last_reply.
--
-- While an interpretation is under way (requested, active, escalated) a reply is for the
-- interpreter: stored as "for_interpreter" (no delivery), waiting for its interpretation, which
-- is what the resident receives (interpret.lua). It counts as the agent's response all the same.
--
-- Returns {message_id, reply_channel, reply_address, status, direction as stored}.
-- Errors: "not_found …" (no such conversation), "conflict …" (a reply to a closed one).
local conv_id, direction, author, author_name = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local text, agent, maxlen = ARGV[5], ARGV[6], ARGV[7]
local key = conv_key(conv_id)
local status = redis.call('HGET', key, 'status')
if not status then return redis.error_reply('not_found no conversation ' .. conv_id) end
if direction == 'out' and status == 'closed' then
  return redis.error_reply('conflict conversation ' .. conv_id .. ' is closed')
end

local now = now_ms()
local fields = redis.call('HMGET', key, 'reply_channel', 'queue', 'agent', 'first_response_at',
  'contact', 'interpretation', 'needs_interpreter', 'interpret_language')
local reply_channel, queue, holder, first_response = fields[1], fields[2], fields[3], fields[4]
local answer = direction == 'out' and author ~= 'system'
if answer and status == 'resolved' then reopen(conv_id, fields[5]) end
local events = {}
if answer then
  local update = {'status', 'pending_resident', 'updated_at', now, 'last_outbound_at', now,
    'last_reply', text}
  if not first_response then
    update[#update + 1] = 'first_response_at'
    update[#update + 1] = now
    local created_at = redis.call('HGET', key, 'created_at')
    stat(queue, 'first_responses', 1)
    stat(queue, 'first_response_ms', now - tonumber(created_at or now))
  end
  if (not holder or holder == '') and agent ~= '' then
    update[#update + 1] = 'agent'
    update[#update + 1] = agent
    redis.call('ZREM', 'queue:' .. queue, conv_id)
    holder = agent
  end
  redis.call('HSET', key, unpack(update))
  take(conv_id, holder, reply_channel)  -- a reply reopens a resolved one: it counts again
  answered(conv_id, now)
  events[#events + 1] = 'conversation.updated'
end

-- A resolved conversation that needed an interpreter, reopened by this reply: it asks again.
local requested_line
if answer and status == 'resolved' and fields[6] == 'ended' and fields[7] and
    ARGV[8] ~= 'direct' then
  requested_line = request_interpreter(conv_id, fields[7], fields[8] or 'en', now, author,
    author_name)
  if requested_line then fields[6] = 'requested' end
end
local stored = direction
if answer and interpreting(fields[6]) and ARGV[8] ~= 'direct' then
  stored = 'for_interpreter'
end
local message = append_message(conv_id, {
  'direction', stored, 'author', author, 'author_name', author_name,
  'channel', stored == 'out' and reply_channel or '', 'text', text,
  'created_at', tostring(now)})
if stored == 'out' then
  redis.call('HSET', key .. ':delivery', message.id, 'pending')
  message.delivery = 'pending'
elseif stored == 'for_interpreter' then
  to_interpret(conv_id, message.id, now)
end
redis.call('HSET', key, 'last_message_id', message.id)
redis.call('HINCRBY', key, 'message_count', 1)
redis.call('ZADD', 'convs', now, conv_id)

local conv = conversation(conv_id)
for _, event_type in ipairs(events) do publish(maxlen, event_type, conv, {}) end
if requested_line then publish(maxlen, 'message.created', conv, {message = requested_line}) end
publish(maxlen, 'message.created', conv, {message = message})
return {message.id, conv.reply_channel, conv.reply_address, conv.status, stored}
