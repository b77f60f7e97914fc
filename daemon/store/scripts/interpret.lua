-- interpret: a conversation's interpreter, from the request to the last interpretation
-- (docs/interpreting.md). See "Interpreting" in common.lua for the keys.
--
-- ARGV  1 op
--   request        2 conversation_id  3 events_maxlen  4 language (the resident's)
--                  5 into (the agents' language)  6 author  7 author_name
--       An agent asks for an interpreter (routing asks through request_interpreter itself).
--       Returns 1, or 0 when one is already being looked for or is there.
--   due            2 limit
--       The conversations whose tick is due now.
--   tick           2 conversation_id  3 events_maxlen  4 pool_wait_ms  5 response_timeout_ms
--                  6 vendor ("1" when a vendor is configured)  7 vendor_timeout_ms
--                  8 capacity (conversations an interpreter takes at once unless their own
--                    capacity says "interpret:N")
--                  9 notice (what the resident is told, in their language; "" for nothing)
--       One step of the escalation ladder:
--         the resident is told once that an interpreter is joining (an outbound message,
--         delivery pending: the caller delivers it);
--         requested:  the longest-idle available interpreter (role interpreter, presence
--                     available) who reads both languages, has room and was not tried for this
--                     request joins; after pool_wait_ms without one, the vendor is asked
--                     (vendor_requested; the caller does the asking) or, without a vendor or when
--                     it was tried, a supervisor is alerted (escalated; the pool is still tried
--                     every few seconds);
--         vendor_requested: no answer within vendor_timeout_ms (and 5 s) counts as a refusal;
--         active:     something waiting longer than response_timeout_ms for its interpretation
--                     (counted from when the interpreter joined at the earliest) sends the
--                     interpreter away and another is looked for; with a vendor interpreter,
--                     what the vendor does not have yet is returned for forwarding (offered
--                     again after 60 s until `forwarded` says it was handed over);
--         a resolved or closed conversation's interpretation ends.
--       Returns {action, interpreter, notice message id, message ids to forward…}; action is
--       none | waiting | joined | vendor | escalated | active.
--   vendor_joined  2 conversation_id  3 events_maxlen  4 interpreter id (the vendor's)
--       Returns 1, or 0 when the vendor was no longer being asked.
--   vendor_failed  2 conversation_id  3 events_maxlen  4 reason
--   interpreted    2 conversation_id  3 events_maxlen  4 message id interpreted
--                  5 text  6 interpreter ("<username>" or "vendor:<id>")  7 author_name
--                  8 event id (the vendor's, "" when none): a repeated one returns the message
--                    it made the first time, with direction "duplicate"
--       An interpretation of a resident's message ("in"; the agent reads it: direction
--       "interpretation") or of an agent's reply ("for_interpreter"; the resident receives it:
--       direction "out", delivery pending). Returns {message id, direction, reply_channel,
--       reply_address, delivery}. Errors: not_found, conflict (not this conversation's
--       interpreter now, or the message is not waiting for an interpretation), invalid (not a
--       message to interpret).
--   leave          2 conversation_id  3 events_maxlen  4 interpreter  5 reason
--       The interpreter leaves; another is looked for. Errors: conflict (not its interpreter).
--   forwarded      2 conversation_id  3 events_maxlen  4 message id
--       The message is in the vendor's hands (or the outbox's): the tick stops offering it.
--   vendor_notices 2 limit
--       Takes up to `limit` notices for the vendor (its interpreter is no longer needed: JSON
--       {conversation_id, interpreter_id, reason}) from interpret:vendor_notices.
local op = ARGV[1]

if op == 'due' then
  return redis.call('ZRANGEBYSCORE', 'interpret:due', '-inf', string.format('%.0f', now_ms()),
    'LIMIT', 0, tonumber(ARGV[2]))
end
if op == 'vendor_notices' then
  return redis.call('LPOP', 'interpret:vendor_notices', tonumber(ARGV[2])) or {}
end

local conv_id, maxlen = ARGV[2], ARGV[3]
local key = conv_key(conv_id)
local now = now_ms()

local function announce(message, extra)
  local conv = conversation(conv_id)
  publish(maxlen, 'conversation.updated', conv, extra or {})
  if message then publish(maxlen, 'message.created', conv, {message = message}) end
end

if op == 'request' then
  local status = redis.call('HGET', key, 'status')
  if not status then return redis.error_reply('not_found no conversation ' .. conv_id) end
  if status == 'resolved' or status == 'closed' then
    return redis.error_reply('conflict conversation ' .. conv_id .. ' is ' .. status)
  end
  -- Into what the holder reads best (the asking agent's when nobody holds it), unless named.
  local into = ARGV[5]
  if into == '' then
    local holder = redis.call('HGET', key, 'agent')
    if not holder or holder == '' then holder = string.match(ARGV[6], '^agent:(.*)$') or '' end
    into = interpret_into(redis.call('HGET', 'agent:{' .. holder .. '}', 'languages'), ARGV[4])
  end
  local message = request_interpreter(conv_id, ARGV[4], into, now, ARGV[6], ARGV[7])
  if not message then return 0 end
  announce(message)
  return 1
end

if op == 'forwarded' then
  if redis.call('ZSCORE', key .. ':forwarded', ARGV[4]) then
    redis.call('ZADD', key .. ':forwarded', 'XX', '+inf', ARGV[4])
  end
  return 1
end

if op == 'tick' then
  local pool_wait, response_timeout = tonumber(ARGV[4]), tonumber(ARGV[5])
  local vendor, vendor_timeout, default_capacity = ARGV[6] == '1', tonumber(ARGV[7]), ARGV[8]
  local notice = ARGV[9]
  local c = hash_to_table(redis.call('HGETALL', key))
  local state = c.interpretation
  if not c.status or not interpreting(state) then
    redis.call('ZREM', 'interpret:due', conv_id)
    return {'none', '', ''}
  end
  if c.status == 'resolved' or c.status == 'closed' then
    local line = end_interpretation(conv_id, 'the conversation is ' .. c.status, now)
    announce(line)
    return {'none', '', ''}
  end
  local result = {'waiting', '', ''}
  local function due_in(ms) redis.call('ZADD', 'interpret:due', string.format('%.0f', now + ms), conv_id) end

  if notice ~= '' and not c.resident_told and c.status ~= 'closed' then
    redis.call('HSET', key, 'resident_told', now)
    local message = append_message(conv_id, {
      'direction', 'out', 'author', 'system', 'author_name', '', 'channel', c.reply_channel,
      'text', notice, 'notice', 'interpreter_joining', 'language', c.language or '',
      'created_at', tostring(now)})
    redis.call('HSET', key .. ':delivery', message.id, 'pending')
    message.delivery = 'pending'
    redis.call('HSET', key, 'last_message_id', message.id)
    redis.call('HINCRBY', key, 'message_count', 1)
    publish(maxlen, 'message.created', conversation(conv_id), {message = message})
    result[3] = message.id
  end

  if state == 'active' then
    local oldest = redis.call('ZRANGE', key .. ':uninterpreted', 0, 0, 'WITHSCORES')
    if #oldest == 0 then
      redis.call('ZREM', 'interpret:due', conv_id)
      result[1], result[2] = 'active', c.interpreter
      return result
    end
    local since = math.max(tonumber(oldest[2]), tonumber(c.interpreter_since or now))
    if since + response_timeout > now then
      due_in(since + response_timeout - now)
      result[1], result[2] = 'active', c.interpreter
      if c.interpreter_kind == 'vendor' then
        -- What the vendor does not have yet; offered again if not handed over within 60 s.
        local offered = false
        for _, id in ipairs(redis.call('ZRANGE', key .. ':uninterpreted', 0, -1)) do
          local at = redis.call('ZSCORE', key .. ':forwarded', id)
          if not at or (at ~= 'inf' and tonumber(at) + 60000 <= now) then
            redis.call('ZADD', key .. ':forwarded', now, id)
            result[#result + 1] = id
            offered = true
          end
        end
        if offered then due_in(math.min(since + response_timeout - now, 60000)) end
      end
      return result
    end
    interpreter_gone(conv_id, 'did not interpret within ' ..
      math.floor(response_timeout / 1000) .. ' s', now, maxlen, false)
    c = hash_to_table(redis.call('HGETALL', key))
    state = 'requested'
  end

  if state == 'vendor_requested' then
    -- A margin past the vendor's own time-out, so a late answer is not thrown away.
    local asked = tonumber(c.vendor_requested_at or now) + 5000
    if asked + vendor_timeout > now then
      due_in(asked + vendor_timeout - now)
      return result
    end
    -- No answer in time (the instance asking went away): as if the vendor had said no.
    redis.call('HSET', key, 'interpretation', 'requested')
    state = 'requested'
  end

  -- Looking (requested or escalated): the pool first.
  for _, username in ipairs(redis.call('ZRANGE', 'interpret:available', 0, -1)) do
    if not list_has(c.interpreter_tried, username) then
      local a = redis.call('HMGET', 'agent:{' .. username .. '}', 'languages', 'capacity',
        'presence', 'role')
      local capacity = parse_capacity(a[2], parse_capacity('interpret:' .. default_capacity, {}))
      if a[3] == 'available' and a[4] == 'interpreter' and speaks(a[1], c.needs_interpreter) and
          speaks(a[1], c.interpret_language) and
          redis.call('SCARD', 'agent:{' .. username .. '}:interpreting') < capacity.interpret then
        redis.call('HSET', key, 'interpretation', 'active', 'interpreter', username,
          'interpreter_kind', 'pool', 'interpreter_since', now)
        redis.call('SADD', 'agent:{' .. username .. '}:interpreting', conv_id)
        redis.call('ZADD', 'interpret:available', now, username)  -- to the back of the line
        redis.call('ZADD', 'interpret:due', now, conv_id)
        local message = system_line(conv_id, 'system', '', username .. ' joined as interpreter (' ..
          c.needs_interpreter .. ' ↔ ' .. c.interpret_language .. ')', now)
        announce(message)
        result[1], result[2] = 'joined', username
        return result
      end
    end
  end

  if state == 'requested' and now >= tonumber(c.interpreter_requested_at or now) + pool_wait then
    if vendor and not c.vendor_tried then
      redis.call('HSET', key, 'interpretation', 'vendor_requested', 'vendor_tried', 1,
        'vendor_requested_at', now)
      due_in(vendor_timeout)
      announce(system_line(conv_id, 'system', '', 'no interpreter of the pool is free; asking ' ..
        'the interpreting vendor', now))
      result[1] = 'vendor'
      return result
    end
    redis.call('HSET', key, 'interpretation', 'escalated', 'escalated_at', now)
    announce(system_line(conv_id, 'system', '', 'no interpreter for ' .. c.needs_interpreter ..
      ' ↔ ' .. c.interpret_language .. ' could be found; a supervisor is alerted', now),
      {escalation = 'interpreter'})
    result[1] = 'escalated'
    due_in(5000)
    return result
  end
  due_in(state == 'escalated' and 5000 or 1000)
  return result
end

if op == 'vendor_joined' then
  if redis.call('HGET', key, 'interpretation') ~= 'vendor_requested' then return 0 end
  local language, into = unpack(redis.call('HMGET', key, 'needs_interpreter',
    'interpret_language'))
  redis.call('HSET', key, 'interpretation', 'active', 'interpreter', 'vendor:' .. ARGV[4],
    'interpreter_kind', 'vendor', 'interpreter_since', now)
  redis.call('DEL', key .. ':forwarded')
  redis.call('ZADD', 'interpret:due', now, conv_id)
  announce(system_line(conv_id, 'system', '', 'vendor:' .. ARGV[4] .. ' joined as interpreter (' ..
    language .. ' ↔ ' .. into .. ')', now))
  return 1
end

if op == 'vendor_failed' then
  if redis.call('HGET', key, 'interpretation') ~= 'vendor_requested' then return 0 end
  redis.call('HSET', key, 'interpretation', 'requested')
  redis.call('ZADD', 'interpret:due', now, conv_id)
  announce(system_line(conv_id, 'system', '', 'the interpreting vendor sent nobody: ' .. ARGV[4],
    now))
  return 1
end

if op == 'interpreted' then
  local of, text, who, author_name, event = ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8] or ''
  local c = hash_to_table(redis.call('HGETALL', key))
  if not c.status then return redis.error_reply('not_found no conversation ' .. conv_id) end
  local event_key = 'interpret:event:' .. who .. ':' .. event
  if event ~= '' then
    local seen = redis.call('GET', event_key)
    if seen then
      -- The same event again: what it made, and whether that still waits for delivery.
      return {seen, 'duplicate', c.reply_channel, c.reply_address,
        redis.call('HGET', key .. ':delivery', seen) or ''}
    end
  end
  if c.interpretation ~= 'active' or c.interpreter ~= who then
    return redis.error_reply('conflict ' .. who .. ' is not interpreting conversation ' .. conv_id)
  end
  local original = redis.call('XRANGE', key .. ':msgs', of, of)
  if #original ~= 1 or original[1][1] ~= of then
    return redis.error_reply('not_found no message ' .. of .. ' in conversation ' .. conv_id)
  end
  local o = hash_to_table(original[1][2])
  local direction, language, channel
  if o.direction == 'in' then
    direction, language, channel = 'interpretation', c.interpret_language, ''
  elseif o.direction == 'for_interpreter' then
    direction, language, channel = 'out', c.language or c.needs_interpreter, c.reply_channel
  else
    return redis.error_reply('invalid message ' .. of .. ' is neither a resident\'s message ' ..
      'nor an agent\'s reply for the interpreter')
  end
  if not redis.call('ZSCORE', key .. ':uninterpreted', of) then
    return redis.error_reply('conflict message ' .. of .. ' is not waiting for an ' ..
      'interpretation (interpreted already, or from before this interpreter was asked)')
  end
  local author = string.sub(who, 1, 7) == 'vendor:' and who or ('interpreter:' .. who)
  local message = append_message(conv_id, {
    'direction', direction, 'author', author, 'author_name', author_name, 'channel', channel,
    'text', text, 'language', language or '', 'interpretation_of', of,
    'created_at', tostring(now)})
  if direction == 'out' then
    redis.call('HSET', key .. ':delivery', message.id, 'pending')
    message.delivery = 'pending'
    redis.call('HSET', key, 'last_outbound_at', now)
  end
  if event ~= '' then redis.call('SET', event_key, message.id, 'EX', 7 * 24 * 3600) end
  redis.call('ZREM', key .. ':uninterpreted', of)
  redis.call('ZREM', key .. ':forwarded', of)
  redis.call('ZADD', 'interpret:due', now, conv_id)
  redis.call('HSET', key, 'last_message_id', message.id, 'updated_at', now)
  redis.call('HINCRBY', key, 'message_count', 1)
  redis.call('ZADD', 'convs', now, conv_id)
  publish(maxlen, 'message.created', conversation(conv_id), {message = message})
  return {message.id, direction, c.reply_channel, c.reply_address, message.delivery or ''}
end

if op == 'leave' then
  local who = ARGV[4]
  local current, state = unpack(redis.call('HMGET', key, 'interpreter', 'interpretation'))
  if current ~= who or state ~= 'active' then
    return redis.error_reply('conflict ' .. who .. ' is not interpreting conversation ' .. conv_id)
  end
  interpreter_gone(conv_id, ARGV[5], now, maxlen, true)  -- the one leaving knows
  return 1
end

return redis.error_reply('invalid interpret operation ' .. tostring(op))
