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
