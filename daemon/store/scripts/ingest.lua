-- ingest: make one inbound message durable, atomically.
--
-- ARGV  1 channel            name of the channel it came in on ("webchat")
--       2 address            the resident's identity, "kind:value" ("chat:9f2c…", "email:a@b.org")
--       3 display_name       may be empty
--       4 text               NFC UTF-8
--       5 subject            may be empty
--       6 idempotency_key    the provider's id for this message; empty = none
--       7 conversation_hint  append to this conversation when it is the contact's and not closed
--       8 new_conversation   "1": always open a new conversation (an Open311 request)
--       9 language           BCP 47 tag or empty
--      10 language_source    how ARGV 9 was decided: "stated" (the whole message named a
--                            language) | "selected" (the resident's choice in the channel: the
--                            chat widget's selector, re-sent with every message; an answer to
--                            the SMS language menu; a web form's language field) | "hint" (a
--                            channel header: Content-Language, Accept-Language) | "detected"
--                            (from the text) | "" (unknown)
--      11 queue              queue a new conversation goes to
--      12 priority           0..9, higher first
--      13 attributes         JSON object of channel facts kept on the conversation as attr.<name>
--                            (set on every message: the newest wins)
--      14 dedup_ttl_s        how long the idempotency key is remembered
--      15 events_maxlen      approximate cap of the events stream
--      16 attachments        JSON array of media URLs ("[]" = none), kept on the message
--      17 message_fields     JSON object of further fields kept on the message ("{}" = none);
--                            they cannot replace the fields above
--      18 passive            "1": an automatic message (an out-of-office reply): recorded in its
--                            conversation, but it neither moves the conversation's status
--                            (no requeue, no reopening) nor changes where replies go, nor the
--                            conversation's language
--      19 language_confidence  "0.00".."1.00" for a detected language, else "" (missing = "")
--
-- Steps: drop a duplicate (same channel + idempotency key) → find or create the contact by
-- address → find the open conversation (hint, else the contact's open one) or open a new one
-- and enqueue it → append the message → remember the key → publish events.
--
-- Returns {contact_id, conversation_id, message_id, duplicate (0|1), created (0|1), status}.
-- A duplicate returns the ids stored the first time and changes nothing.
local channel, address, name, text = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local subject, idem, hint, new_conv = ARGV[5], ARGV[6], ARGV[7], ARGV[8] == '1'
local language, language_source, queue, priority = ARGV[9], ARGV[10], ARGV[11], ARGV[12]
local attributes, dedup_ttl, maxlen, attachments = ARGV[13], ARGV[14], ARGV[15], ARGV[16]
local message_fields = ARGV[17] or '{}'
local passive = ARGV[18] == '1'
local language_confidence = ARGV[19] or ''
-- A selection is a choice the channel may repeat: it does not replace a language the resident
-- stated by message since.
local selected = language_source == 'selected'

local dedup_key = 'dedup:' .. channel .. ':' .. idem
if idem ~= '' then
  local seen = redis.call('GET', dedup_key)
  if seen then
    local contact, conv, msg = string.match(seen, '^(%S+) (%S+) (%S+)$')
    local status = redis.call('HGET', conv_key(conv), 'status') or ''
    return {contact, conv, msg, 1, 0, status}
  end
end

local now = now_ms()

-- The contact.
local ident_key = 'ident:' .. address
local contact = redis.call('GET', ident_key)
if not contact then
  contact = tostring(redis.call('INCR', 'seq:contact'))
  redis.call('SET', ident_key, contact)
  redis.call('HSET', 'contact:{' .. contact .. '}', 'id', contact, 'display_name', name,
    'language', language, 'created_at', now)
  redis.call('SADD', 'contact:{' .. contact .. '}:idents', address)
else
  if name ~= '' then redis.call('HSET', 'contact:{' .. contact .. '}', 'display_name', name) end
  if language ~= '' and (language_source == 'stated' or selected) and (not selected or
      (redis.call('HGET', 'contact:{' .. contact .. '}', 'language') or '') == '') then
    redis.call('HSET', 'contact:{' .. contact .. '}', 'language', language)
  end
end
local open_key = 'contact:{' .. contact .. '}:open'

-- The conversation.
local conv_id
if hint ~= '' then
  local owner, status = unpack(redis.call('HMGET', conv_key(hint), 'contact', 'status'))
  if owner == contact and status and status ~= 'closed' then conv_id = hint end
end
if not conv_id and not new_conv then conv_id = redis.call('GET', open_key) or nil end

local created = 0
local events = {}
if not conv_id then
  conv_id = tostring(redis.call('INCR', 'seq:conversation'))
  created = 1
  local key = conv_key(conv_id)
  redis.call('HSET', key, 'id', conv_id, 'contact', contact, 'origin_channel', channel,
    'reply_channel', channel, 'reply_address', address, 'status', 'queued', 'queue', queue,
    'priority', priority, 'language', language, 'language_source', language_source,
    'language_confidence', language_confidence, 'subject', subject, 'display_name', name,
    'created_at', now, 'updated_at', now)
  
  redis.call('ZADD', 'queue:' .. queue, queue_score(priority, now), conv_id)
  redis.call('SADD', 'queues', queue)
  stat(queue, 'offered', 1)
  redis.call('ZADD', 'convs:channel:' .. channel, now, conv_id)
  if not new_conv then redis.call('SET', open_key, conv_id) end
  events[#events + 1] = 'conversation.created'
else
  local key = conv_key(conv_id)
  local status, agent, conv_queue, conv_priority, created_at =
    unpack(redis.call('HMGET', key, 'status', 'agent', 'queue', 'priority', 'created_at'))
    local next_status = status
  if (status == 'resolved' or status == 'pending_resident') and not passive then
    if agent and agent ~= '' then next_status = 'assigned' else next_status = 'queued' end
  end
  if next_status == 'queued' and status ~= 'queued' then
    redis.call('ZADD', 'queue:' .. conv_queue, queue_score(conv_priority, created_at), conv_id)
  end
  if status == 'resolved' and not passive then
    reopen(conv_id, contact)
    take(conv_id, agent, channel)  -- back on its agent's desk
  end
  if passive then
    redis.call('HSET', key, 'updated_at', now)
  else
    redis.call('HSET', key, 'status', next_status, 'reply_channel', channel,
      'reply_address', address, 'updated_at', now)
  end
  -- The conversation's language: a statement by message always replaces it, a selection unless
  -- the resident stated one; anything less trusted (a hint, a detection) only fills it while it
  -- is unknown, so a stated language is never overwritten by a guess and a later message in
  -- another language does not move it.
  local current_language, current_source =
    unpack(redis.call('HMGET', key, 'language', 'language_source'))
  if language ~= '' and not passive and (language_source == 'stated' or
      (selected and current_source ~= 'stated') or (current_language or '') == '') then
    redis.call('HSET', key, 'language', language, 'language_source', language_source,
      'language_confidence', language_confidence)
  end
  if next_status ~= status then events[#events + 1] = 'conversation.updated' end
end

-- Channel facts (the city number the resident wrote to, a request's location) follow the latest
-- message, so a reply goes back the way the resident came.
for k, v in pairs(cjson.decode(attributes)) do
  redis.call('HSET', conv_key(conv_id), 'attr.' .. k, tostring(v))
end

local fields = {
  'direction', 'in', 'author', 'resident', 'author_name', name, 'channel', channel,
  'text', text, 'subject', subject, 'language', language, 'language_source', language_source,
  'language_confidence', language_confidence, 'provider_id', idem,
  'attachments', attachments, 'created_at', tostring(now)}
local reserved = {id = true, delivery = true}
for i = 1, #fields, 2 do reserved[fields[i]] = true end
for k, v in pairs(cjson.decode(message_fields)) do
  if not reserved[k] then
    fields[#fields + 1] = k
    fields[#fields + 1] = tostring(v)
  end
end
local message = append_message(conv_id, fields)
local key = conv_key(conv_id)
redis.call('HSET', key, 'last_message_id', message.id, 'last_inbound_at', now)
-- An interpreter is there or on the way: the message waits for its interpretation (an
-- automatic reply does not). A resolved conversation that needed one and comes back asks again.
local interpretation, needs, into = unpack(redis.call('HMGET', key, 'interpretation',
  'needs_interpreter', 'interpret_language'))
if not passive and interpretation == 'ended' and needs and created == 0 then
  if request_interpreter(conv_id, needs, into or 'en', now, 'system', '') then
    interpretation = 'requested'
    events[#events + 1] = 'conversation.updated'
  end
end
if not passive and interpreting(interpretation) then
  to_interpret(conv_id, message.id, now)
end
redis.call('HINCRBY', key, 'message_count', 1)
redis.call('ZADD', 'convs', now, conv_id)
if idem ~= '' then
  redis.call('SET', dedup_key, contact .. ' ' .. conv_id .. ' ' .. message.id, 'EX', dedup_ttl)
end

local conv = conversation(conv_id)
for _, event_type in ipairs(events) do publish(maxlen, event_type, conv, {}) end
publish(maxlen, 'message.created', conv, {message = message})
return {contact, conv_id, message.id, 0, created, conv.status}
