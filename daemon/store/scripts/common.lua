-- Shared by every script (prepended by the store before loading; not a script on its own).
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function conv_key(id) return 'conv:{' .. id .. '}' end

-- Queue order: higher priority first, then older first. priority is 0..9.
local function queue_score(priority, created_ms)
  return string.format('%.0f', (9 - tonumber(priority)) * 1e13 + tonumber(created_ms))
end

local function hash_to_table(flat)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end

local function conversation(id)
  return hash_to_table(redis.call('HGETALL', conv_key(id)))
end

-- Appends one entry to the events stream every instance reads. data is the JSON payload that
-- agents' streams receive; queue and agent let readers filter without decoding it.
local function publish(maxlen, event_type, conv, payload)
  payload.type = event_type
  payload.conversation_id = conv.id
  payload.conversation = conv
  redis.call('XADD', 'events', 'MAXLEN', '~', maxlen, '*',
    'type', event_type, 'conversation_id', conv.id, 'queue', conv.queue or '',
    'agent', conv.agent or '', 'data', cjson.encode(payload))
end

local function message_table(id, flat)
  local m = hash_to_table(flat)
  m.id = id
  return m
end

-- Appends a message (flat list of field, value, …) to a conversation's stream and returns it
-- as a table with its id.
local function append_message(conv_id, flat)
  local id = redis.call('XADD', conv_key(conv_id) .. ':msgs', '*', unpack(flat))
  return message_table(id, flat)
end

-- A resolved conversation comes back to life (a resident writes on its thread, an agent
-- replies or moves it): it forgets resolved_at and becomes the contact's open conversation
-- again, unless the contact has opened another one meanwhile.
local function reopen(conv_id, contact)
  redis.call('HDEL', conv_key(conv_id), 'resolved_at')
  redis.call('HINCRBY', conv_key(conv_id), 'reopened', 1)
  redis.call('SET', 'contact:{' .. contact .. '}:open', conv_id, 'NX')
end

-- What an agent holds, for capacity: agent:{<username>}:holding is the set of
-- "<conversation id>|<channel>" the agent holds and that are not resolved or closed, and the
-- conversation's held_by is "<username>|<channel>". take() and release() keep both in step;
-- every script that changes a holder or ends a conversation calls them.
local function release(conv_id)
  local key = conv_key(conv_id)
  local held = redis.call('HGET', key, 'held_by')
  if not held then return nil end
  local bar = string.find(held, '|', 1, true)
  local agent, channel = string.sub(held, 1, bar - 1), string.sub(held, bar + 1)
  redis.call('SREM', 'agent:{' .. agent .. '}:holding', conv_id .. '|' .. channel)
  redis.call('HDEL', key, 'held_by')
  return agent
end

local function take(conv_id, agent, channel)
  release(conv_id)
  if not agent or agent == '' then return end
  redis.call('SADD', 'agent:{' .. agent .. '}:holding', conv_id .. '|' .. channel)
  redis.call('HSET', conv_key(conv_id), 'held_by', agent .. '|' .. channel)
end

-- A queued conversation moves to another queue (a transfer, an overflow): it leaves its old
-- queue (and holder: capacity freed), joins the new one as queued in its original order of
-- age and priority, and its language wait starts again.
local function move_to_queue(conv_id, new_queue, now)
  local key = conv_key(conv_id)
  local old_queue, priority, created_at = unpack(redis.call('HMGET', key, 'queue', 'priority',
    'created_at'))
  redis.call('ZREM', 'queue:' .. old_queue, conv_id)
  release(conv_id)
  redis.call('HDEL', key, 'agent', 'lang_wait_until')
  redis.call('HSET', key, 'queue', new_queue, 'status', 'queued', 'updated_at', now)
  redis.call('ZADD', 'queue:' .. new_queue, queue_score(priority, created_at), conv_id)
  redis.call('SADD', 'queues', new_queue)
  return old_queue
end

-- An event about an agent (presence, load), not about a conversation.
local function publish_agent(maxlen, event_type, agent)
  redis.call('XADD', 'events', 'MAXLEN', '~', maxlen, '*',
    'type', event_type, 'conversation_id', '', 'queue', '', 'agent', agent.username or '',
    'data', cjson.encode({type = event_type, agent = agent}))
end

-- Per-queue service figures, stats:queue:<name> (a hash of counters, every instance adding):
-- offered, answered, answered_in_target (an agent had it within the queue's service-level
-- target: queue_config:<name> service_level_ms, else routing:service_level_ms, both kept by
-- routing), first_responses, first_response_ms, resolved, resolved_first_contact (resolved
-- without ever having been reopened); and answer_wait_ms, a moving average of how long
-- answered conversations waited (each new one weighs a fifth), for expected waits.
local function stat(queue, field, n)
  if queue and queue ~= '' then redis.call('HINCRBY', 'stats:queue:' .. queue, field, n) end
end

-- The first time a conversation has an agent: counted as answered, in the target or not.
local function answered(conv_id, now)
  local key = conv_key(conv_id)
  if redis.call('HSETNX', key, 'answered_at', now) == 0 then return end
  local queue, created_at = unpack(redis.call('HMGET', key, 'queue', 'created_at'))
  stat(queue, 'answered', 1)
  local target = tonumber(redis.call('HGET', 'queue_config:' .. (queue or ''), 'service_level_ms')
    or redis.call('GET', 'routing:service_level_ms') or '25000')
  if created_at and now - tonumber(created_at) <= target then
    stat(queue, 'answered_in_target', 1)
  end
  if created_at and queue and queue ~= '' then
    local waited = now - tonumber(created_at)
    local average = tonumber(redis.call('HGET', 'stats:queue:' .. queue, 'answer_wait_ms'))
    if average then waited = average * 0.8 + waited * 0.2 end
    redis.call('HSET', 'stats:queue:' .. queue, 'answer_wait_ms', string.format('%.0f', waited))
  end
end

-- Agents' skills, shared by routing and interpreting.
local function parse_capacity(text, into)
  for channel, n in string.gmatch(text or '', '([%w_%-]+):(%d+)') do into[channel] = tonumber(n) end
  return into
end

local function list_has(csv, wanted)
  for item in string.gmatch(csv or '', '[^,%s]+') do
    if item == wanted then return true end
  end
  return false
end

-- "es-MX" serves "es"; "zh-Hant" only "zh-Hant" (and "zh-TW", "zh-HK").
local function base(tag)
  local primary, rest = string.match(tag, '^(%a+)(.*)$')
  primary = string.lower(primary or tag)
  if primary == 'zh' then
    local script = string.match(rest, '%-(%a%a%a%a)')
    if not script then
      local region = string.upper(string.match(rest, '%-(%a%a)$') or '')
      script = (region == 'TW' or region == 'HK' or region == 'MO') and 'Hant' or 'Hans'
    end
    return 'zh-' .. script
  end
  return primary
end

-- An agent's languages ("es:2,en"): each tag with its proficiency from 1 to 5 after a colon;
-- one without (or with anything but a digit) counts as 5.
local function each_language(languages)
  local items = string.gmatch(languages or '', '[^,%s]+')
  return function()
    local item = items()
    if not item then return nil end
    return string.match(item, '^([^:]*)'), tonumber(string.match(item, ':(%d)$')) or 5
  end
end

-- Chinese whose script is not known ("zh": characters both scripts share) is read by anyone
-- who reads Chinese. `least` (default 1) is the proficiency needed.
local function speaks(languages, language, least)
  local wanted = base(language)
  local any_chinese = string.lower(language) == 'zh'
  for tag, level in each_language(languages) do
    local same = tag ~= '' and
      (base(tag) == wanted or (any_chinese and string.sub(base(tag), 1, 3) == 'zh-'))
    if same and level >= (least or 1) then
      return true
    end
  end
  return false
end

-- What an interpreter interprets into for an agent who reads `agent_languages` when the resident
-- writes `language`: the agent's best language (highest proficiency, the first listed among
-- equals) other than the resident's, else English. An agent with "so:2,en" gets English, not a
-- Somali ↔ Somali interpreter.
local function interpret_into(agent_languages, language)
  local best, best_level
  for tag, level in each_language(agent_languages) do
    if tag ~= '' and base(tag) ~= base(language) and (not best_level or level > best_level) then
      best, best_level = tag, level
    end
  end
  return best or 'en'
end

-- The proficiency an agent needs in a resident's language to serve `queue`'s conversations in
-- it without an interpreter: queue_config:<queue> min_proficiency, else routing:min_proficiency
-- (both kept by routing from the configuration), else 3.
local function min_proficiency(queue)
  return tonumber(redis.call('HGET', 'queue_config:' .. (queue or ''), 'min_proficiency') or
    redis.call('GET', 'routing:min_proficiency') or '3')
end

-- Interpreting (interpret.lua has the whole life; docs/interpreting.md). A conversation's
-- interpretation is requested → (vendor_requested) → active, or escalated when nobody could be
-- found in time, and ended when the conversation is resolved or closed. What still needs
-- interpreting (the resident's messages, the agent's replies) waits in conv:{id}:uninterpreted
-- (message id → when it arrived); interpret:due orders conversations by when interpret.lua's
-- tick must look at them next.
local function interpreting(state)
  return state == 'requested' or state == 'vendor_requested' or state == 'active' or
    state == 'escalated'
end

-- Something to interpret arrived: the tick looks at the conversation now (a vendor gets it, a
-- time-out is scheduled), earlier than planned if need be.
local function to_interpret(conv_id, message_id, now)
  redis.call('ZADD', conv_key(conv_id) .. ':uninterpreted', 'NX', now, message_id)
  redis.call('ZADD', 'interpret:due', 'LT', now, conv_id)
end

-- A system line in the transcript, as the conversation's latest message.
local function system_line(conv_id, author, author_name, text, now)
  local message = append_message(conv_id, {
    'direction', 'system', 'author', author, 'author_name', author_name,
    'text', text, 'created_at', tostring(now)})
  redis.call('HSET', conv_key(conv_id), 'last_message_id', message.id)
  redis.call('ZADD', 'convs', now, conv_id)
  return message
end

-- Asks for an interpreter between the resident's `language` and the agents' `into`, once per
-- conversation while one is being looked for or is there, and only while the conversation is
-- open. The resident's latest messages (at most 20) are what the interpreter starts with.
-- Returns the system line's message, or nil when nothing was asked.
local function request_interpreter(conv_id, language, into, now, author, author_name)
  local key = conv_key(conv_id)
  local state, status = unpack(redis.call('HMGET', key, 'interpretation', 'status'))
  if interpreting(state) or status == 'resolved' or status == 'closed' then return nil end
  redis.call('HSET', key, 'interpretation', 'requested', 'needs_interpreter', language,
    'interpret_language', into, 'interpreter_requested_at', now)
  redis.call('HDEL', key, 'interpreter', 'interpreter_kind', 'interpreter_since',
    'interpreter_tried', 'vendor_tried', 'escalated_at')
  redis.call('DEL', key .. ':forwarded')
  local recent = redis.call('XREVRANGE', key .. ':msgs', '+', '-', 'COUNT', 50)
  local taken = 0
  for _, entry in ipairs(recent) do
    local m = hash_to_table(entry[2])
    if m.direction == 'in' and taken < 20 and not m.auto_submitted then
      redis.call('ZADD', key .. ':uninterpreted', 'NX', tonumber(m.created_at or now), entry[1])
      taken = taken + 1
    end
  end
  redis.call('ZADD', 'interpret:due', now, conv_id)
  return system_line(conv_id, author, author_name,
    'interpreter requested (' .. language .. ' ↔ ' .. into .. ')', now)
end

-- The interpreter leaves the conversation (it ended, they did not answer, they left): their
-- load drops, they no longer see it (last_interpreter keeps who it was), and a vendor is told
-- unless it said so itself (interpret:vendor_notices, sent by the interpreting loop).
-- Returns who it was, or nil.
local function interpreter_leaves(conv_id, why, vendor_knows)
  local key = conv_key(conv_id)
  local who, kind = unpack(redis.call('HMGET', key, 'interpreter', 'interpreter_kind'))
  if not who then return nil end
  if kind == 'pool' then
    redis.call('SREM', 'agent:{' .. who .. '}:interpreting', conv_id)
  elseif kind == 'vendor' and not vendor_knows then
    redis.call('RPUSH', 'interpret:vendor_notices', cjson.encode({conversation_id = conv_id,
      interpreter_id = string.sub(who, 8), reason = why}))
  end
  redis.call('HDEL', key, 'interpreter', 'interpreter_kind', 'interpreter_since')
  redis.call('HSET', key, 'last_interpreter', who)
  return who
end

-- The interpretation is over (the conversation was resolved or closed, or its agent reads the
-- language). Agents' replies still waiting for their interpretation never reached the resident:
-- the transcript says so. Returns that system line, or nil.
local function end_interpretation(conv_id, why, now)
  local key = conv_key(conv_id)
  if not interpreting(redis.call('HGET', key, 'interpretation')) then return nil end
  interpreter_leaves(conv_id, why, false)
  redis.call('HSET', key, 'interpretation', 'ended')
  redis.call('ZREM', 'interpret:due', conv_id)
  local lost = 0
  for _, id in ipairs(redis.call('ZRANGE', key .. ':uninterpreted', 0, -1)) do
    local m = redis.call('XRANGE', key .. ':msgs', id, id)
    if #m == 1 and hash_to_table(m[1][2]).direction == 'for_interpreter' then lost = lost + 1 end
  end
  redis.call('DEL', key .. ':uninterpreted', key .. ':forwarded')
  if lost == 0 then return nil end
  return system_line(conv_id, 'system', '', lost .. ' repl' .. (lost == 1 and 'y' or 'ies') ..
    ' waiting for an interpretation never reached the resident (' .. why .. ')', now)
end

-- The interpreter is gone from a conversation still under way (no answer in time, they left,
-- they went offline): another is looked for at once, never the same one for this request.
local function interpreter_gone(conv_id, why, now, maxlen, vendor_knows)
  local key = conv_key(conv_id)
  local who = interpreter_leaves(conv_id, why, vendor_knows)
  if not who then return end
  local tried = redis.call('HGET', key, 'interpreter_tried')
  redis.call('HSET', key, 'interpretation', 'requested', 'interpreter_requested_at', now,
    'interpreter_tried', (tried and tried ~= '') and (tried .. ',' .. who) or who)
  redis.call('DEL', key .. ':forwarded')
  redis.call('ZADD', 'interpret:due', now, conv_id)
  local message = system_line(conv_id, 'system', '',
    'interpreter ' .. who .. ' ' .. why .. '; looking for another interpreter', now)
  local conv = conversation(conv_id)
  publish(maxlen, 'conversation.updated', conv, {previous_interpreter = who})
  publish(maxlen, 'message.created', conv, {message = message})
end

-- The conversation's new holder reads its language: no interpreter is needed any more.
-- Returns the system line, or nil when nothing changed.
local function interpreter_not_needed(conv_id, agent, agent_languages, now)
  local key = conv_key(conv_id)
  local language, queue = unpack(redis.call('HMGET', key, 'needs_interpreter', 'queue'))
  if not language or not speaks(agent_languages, language, min_proficiency(queue)) then
    return nil
  end
  end_interpretation(conv_id, agent .. ' reads ' .. language, now)
  redis.call('HDEL', key, 'needs_interpreter')
  return system_line(conv_id, 'system', '', agent .. ' reads ' .. language ..
    '; no interpreter is needed', now)
end

-- An interpreter went offline: every conversation it interprets looks for another.
local function interpreter_offline(username, now, maxlen)
  local key = 'agent:{' .. username .. '}:interpreting'
  for _, conv_id in ipairs(redis.call('SMEMBERS', key)) do
    if redis.call('HGET', conv_key(conv_id), 'interpreter') == username then
      interpreter_gone(conv_id, 'went offline', now, maxlen, false)
    else
      redis.call('SREM', key, conv_id)  -- stale
    end
  end
end
