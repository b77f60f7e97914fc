-- consent: a resident opts out of (STOP) or back into (START) messages on one address.
--
-- ARGV  1 address        "phone:+15035550100"
--       2 state          "opted_out" | "opted_in"
--       3 keyword        the word they sent, folded ("stop", "alto", "start")
--       4 channel        where it came in ("sms")
--       5 events_maxlen
--
-- Keys: consent:<address> hash {state, keyword, channel, changed_at}. When the address belongs
-- to a contact with an open conversation, a system line records the change there so the agent
-- sees it ("opted out by texting STOP").
-- Returns the previous state ("" when none).
local address, state, keyword, channel, maxlen = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local key = 'consent:' .. address
local previous = redis.call('HGET', key, 'state') or ''
local now = now_ms()
redis.call('HSET', key, 'state', state, 'keyword', keyword, 'channel', channel, 'changed_at', now)
if previous == state then return previous end

local contact = redis.call('GET', 'ident:' .. address)
if contact then
  local conv_id = redis.call('GET', 'contact:{' .. contact .. '}:open')
  if conv_id then
    local text = state == 'opted_out'
      and ('resident opted out by texting ' .. string.upper(keyword) .. '; replies are blocked')
      or ('resident opted back in by texting ' .. string.upper(keyword))
    local message = append_message(conv_id, {
      'direction', 'system', 'author', 'system', 'author_name', '', 'channel', channel,
      'text', text, 'created_at', tostring(now)})
    redis.call('HSET', conv_key(conv_id), 'last_message_id', message.id, 'updated_at', now)
    redis.call('ZADD', 'convs', now, conv_id)
    publish(maxlen, 'message.created', conversation(conv_id), {message = message})
  end
end
return previous
