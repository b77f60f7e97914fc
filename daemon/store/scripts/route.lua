-- route: give the first conversation of a queue that some available agent can serve to the
-- longest-idle such agent, atomically (several instances route at once; none assigns a
-- conversation twice or takes an agent past capacity).
--
-- ARGV  1 queue
--       2 scan          how many conversations from the head of the queue to consider: one
--                       that nobody available can serve (its language) does not hold up the
--                       ones behind it
--       3 capacity      default capacity per channel, "webchat:3,sms:4,…" (an agent's own
--                       capacity field overrides it channel by channel)
--       4 events_maxlen
--       5 language_wait_ms  how long a conversation waits for an agent who speaks its language
--                       before any agent of the queue takes it and an interpreter is needed
--                       (lang_wait_until, set the first time the conversation is considered)
--       6 languages     the languages the queue serves, comma-separated canonical tags; empty =
--                       every language. A conversation in another language does not wait for a
--                       speaker: any agent of the queue takes it at once (needs_interpreter).
--       7 overflow_to   queue a conversation moves to once it has waited overflow_after_ms in
--                       this one; empty = none
--       8 overflow_after_ms  -1 = never; 0 = at once (the queue is closed and overflows after
--                       hours). The wait counts from when this script first saw the conversation
--                       waiting in this queue (queued_in, queued_since; cleared on assignment).
--       9 interpreters  "1": an assignment to an agent without the language also requests an
--                       interpreter (common.lua's request_interpreter; interpret.lua finds one)
--
-- Eligible agent: presence available (in route:available, ordered by idle-since), the queue
-- among its queues, fewer conversations held on the conversation's reply channel than its
-- capacity there, and, when the conversation's language is known and its language_wait has not
-- passed (lang_wait_until, ms), the language among its languages (same primary subtag; for
-- Chinese the script too) at the queue's min_proficiency or above (common.lua's
-- min_proficiency; an agent below it is given the conversation only as one without the
-- language: with an interpreter).
-- An overflow moves one conversation (move_to_queue), with a system line and
-- conversation.updated (previous_queue, reason "overflow").
-- Returns {conversation id, agent} when it assigned one, {conversation id, "", new queue} when
-- it moved one to the overflow queue, else {} (nothing to do now).
local queue, scan, default_capacity, maxlen = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local language_wait = tonumber(ARGV[5])
local serves, overflow_to, overflow_after = ARGV[6] or '', ARGV[7] or '', tonumber(ARGV[8] or '-1')
if overflow_to == '' then overflow_after = -1 end
local request_interpreters = ARGV[9] == '1'
local least = min_proficiency(queue)  -- in a language, to serve it without an interpreter

local function load_on(agent, channel)
  local n = 0
  for _, member in ipairs(redis.call('SMEMBERS', 'agent:{' .. agent .. '}:holding')) do
    if string.sub(member, -(#channel + 1)) == '|' .. channel then n = n + 1 end
  end
  return n
end

local now = now_ms()
local waiting = redis.call('ZRANGE', 'queue:' .. queue, 0, scan - 1)
if #waiting == 0 then return {} end
local agents = redis.call('ZRANGE', 'route:available', 0, -1)
if #agents == 0 and overflow_after < 0 then return {} end

-- Moves a conversation that waited long enough (or arrived after hours) to the overflow queue.
local function overflow(conv_id, waited)
  move_to_queue(conv_id, overflow_to, now)
  redis.call('HSET', conv_key(conv_id), 'queued_in', overflow_to, 'queued_since', now)
  local text = 'moved to queue ' .. overflow_to .. ' from ' .. queue .. ': '
  if overflow_after == 0 then
    text = text .. queue .. ' is closed'
  else
    text = text .. 'waited ' .. math.floor(waited / 1000) .. ' s'
  end
  local message = append_message(conv_id, {
    'direction', 'system', 'author', 'system', 'author_name', '',
    'text', text, 'created_at', tostring(now)})
  redis.call('HSET', conv_key(conv_id), 'last_message_id', message.id)
  redis.call('ZADD', 'convs', now, conv_id)
  local conv = conversation(conv_id)
  publish(maxlen, 'conversation.updated', conv,
    {previous_agent = '', previous_queue = queue, reason = 'overflow'})
  publish(maxlen, 'message.created', conv, {message = message})
  return {conv_id, '', overflow_to}
end

-- What an available agent can take, read the first time it is needed in this call (most calls
-- assign to one of the first agents), and what it holds per channel, counted once.
local infos, loads = {}, {}
local function info(username)
  local known = infos[username]
  if known == nil then
    local a = redis.call('HMGET', 'agent:{' .. username .. '}', 'queues', 'languages',
      'capacity', 'presence')
    known = false
    if a[4] == 'available' and list_has(a[1], queue) then
      known = {username = username, languages = a[2],
        capacity = parse_capacity(a[3], parse_capacity(default_capacity, {}))}
    end
    infos[username] = known
  end
  return known
end
local function room(c, channel)
  local key = c.username .. '|' .. channel
  if loads[key] == nil then loads[key] = load_on(c.username, channel) end
  return (c.capacity[channel] or 0) > loads[key]
end

for _, conv_id in ipairs(waiting) do
  local key = conv_key(conv_id)
  local status, channel, language, lang_wait_until, holder, queued_in, queued_since =
    unpack(redis.call('HMGET', key, 'status', 'reply_channel', 'language', 'lang_wait_until',
      'agent', 'queued_in', 'queued_since'))
  if status == 'queued' and (not holder or holder == '') then
    if queued_in ~= queue then
      queued_since = now
      redis.call('HSET', key, 'queued_in', queue, 'queued_since', now)
    end
    local waited = now - tonumber(queued_since)
    if overflow_after >= 0 and waited >= overflow_after then return overflow(conv_id, waited) end
    -- A language the queue does not serve waits for nobody.
    local served = serves == '' or not language or language == '' or speaks(serves, language)
    if served and language and language ~= '' and not lang_wait_until then
      lang_wait_until = now + language_wait
      redis.call('HSET', key, 'lang_wait_until', string.format('%.0f', lang_wait_until))
    end
    local need_language = served and language and language ~= '' and
      tonumber(lang_wait_until) > now
    for _, username in ipairs(agents) do
      local c = info(username)
      -- The language first: it is cheaper than counting what the agent holds.
      if c and (not need_language or speaks(c.languages, language, least)) and
          room(c, channel) then
        redis.call('ZREM', 'queue:' .. queue, conv_id)
        redis.call('HSET', key, 'agent', c.username, 'status', 'assigned', 'assigned_at', now,
          'updated_at', now)
        redis.call('HDEL', key, 'queued_in', 'queued_since')
        take(conv_id, c.username, channel)
        answered(conv_id, now)
        -- To the back of the line: the longest idle goes first next time.
        redis.call('ZADD', 'route:available', now, c.username)
        local text = 'assigned to ' .. c.username
        local interpreter_needed = language and language ~= '' and
          not speaks(c.languages, language, least)
        if interpreter_needed then
          redis.call('HSET', key, 'needs_interpreter', language)
          text = text .. ' (no available agent reads ' .. language ..
            ' well enough; an interpreter is needed)'
        end
        local message = system_line(conv_id, 'system', '', text, now)
        local interpreter_line
        if not interpreter_needed then
          -- Back in the queue with an interpreter on it, now with an agent who reads it.
          interpreter_line = interpreter_not_needed(conv_id, c.username, c.languages, now)
        elseif request_interpreters then
          local into = interpret_into(c.languages, language)
          interpreter_line = request_interpreter(conv_id, language, into, now, 'system', '')
        end
        local conv = conversation(conv_id)
        publish(maxlen, 'conversation.updated', conv, {previous_agent = ''})
        publish(maxlen, 'message.created', conv, {message = message})
        if interpreter_line then
          publish(maxlen, 'message.created', conv, {message = interpreter_line})
        end
        return {conv_id, c.username}
      end
    end
  elseif status ~= 'queued' then
    redis.call('ZREM', 'queue:' .. queue, conv_id)  -- not waiting any more: a stale entry
  end
end
return {}
