-- liveness: agents whose inbox is gone go offline, and what they held goes back to its queue.
--
-- ARGV  1 op            beat | sweep
--   beat:   2 username   the agent's live stream is open (on some instance) now
--   sweep:  2 grace_ms   an agent not seen for longer is gone
--           3 events_maxlen
--
-- Keys: agents:heartbeat (sorted set, username → last time seen, ms). Only agents who opened a
-- live stream are in it: an agent driving the API alone is never swept.
-- sweep: each gone agent leaves agents:heartbeat and, unless already offline, becomes offline
-- (out of route:available, agent.updated); every conversation it held loses its holder:
-- an assigned one goes back to its queue, a pending_resident one waits for the resident
-- (whose answer then queues it); each gets a system line and conversation.updated.
-- Returns beat → 1; sweep → the usernames that went offline.
local op = ARGV[1]
local now = now_ms()
if op == 'beat' then
  redis.call('ZADD', 'agents:heartbeat', now, ARGV[2])
  return 1
end
if op ~= 'sweep' then return redis.error_reply('invalid liveness operation ' .. tostring(op)) end
local grace, maxlen = tonumber(ARGV[2]), ARGV[3]
local gone = {}
for _, username in ipairs(redis.call('ZRANGEBYSCORE', 'agents:heartbeat', '-inf',
    string.format('%.0f', now - grace))) do
  redis.call('ZREM', 'agents:heartbeat', username)
  local akey = 'agent:{' .. username .. '}'
  local presence = redis.call('HGET', akey, 'presence')
  if presence and presence ~= 'offline' then
    redis.call('HSET', akey, 'presence', 'offline', 'presence_at', now)
    redis.call('ZREM', 'route:available', username)
    redis.call('ZREM', 'interpret:available', username)
    -- What it interpreted gets another interpreter.
    interpreter_offline(username, now, maxlen)
    publish_agent(maxlen, 'agent.updated', {username = username, presence = 'offline',
      previous_presence = presence, reason = 'inbox closed'})
    for _, member in ipairs(redis.call('SMEMBERS', akey .. ':holding')) do
      local conv_id = string.match(member, '^(.*)|')
      local key = conv_key(conv_id)
      local status, queue, priority, created_at = unpack(redis.call('HMGET', key, 'status',
        'queue', 'priority', 'created_at'))
      release(conv_id)
      if status then
        redis.call('HDEL', key, 'agent')
        local update = {'updated_at', now}
        if status == 'assigned' then
          update = {'status', 'queued', 'updated_at', now}
          redis.call('ZADD', 'queue:' .. queue, queue_score(priority, created_at), conv_id)
          redis.call('SADD', 'queues', queue)
        end
        redis.call('HSET', key, unpack(update))
        local message = append_message(conv_id, {
          'direction', 'system', 'author', 'system', 'author_name', '',
          'text', username .. ' went offline; back to the queue', 'created_at', tostring(now)})
        redis.call('HSET', key, 'last_message_id', message.id)
        redis.call('ZADD', 'convs', now, conv_id)
        local conv = conversation(conv_id)
        publish(maxlen, 'conversation.updated', conv, {previous_agent = username})
        publish(maxlen, 'message.created', conv, {message = message})
      end
    end
    gone[#gone + 1] = username
  end
end
return gone
