-- list: conversations, most recently active first, filtered.
--
-- ARGV  1 status    "" = any
--       2 queue     "" = any
--       3 channel   "" = any (origin channel)
--       4 agent     "" = any
--       5 queues    "" = any; else comma-separated queues the caller may see …
--       6 viewer    … or conversations held (or interpreted) by this agent
--       7 limit     at most this many (1..500)
--       8 before    only conversations last active before this time (ms); "" = now
--
-- Reads at most 5000 candidates per call. Returns a flat array: for each conversation the
-- array of its HGETALL, then, last, the activity time of the last one returned (a cursor for
-- "before"), or "" when the list is complete.
local status, queue, channel, agent = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local queues, viewer, limit, before = ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8]
local allowed = nil
if queues ~= '' then
  allowed = {}
  for q in string.gmatch(queues, '[^,]+') do allowed[q] = true end
end
local max = before ~= '' and ('(' .. before) or '+inf'
local out, cursor, scanned = {}, '', 0
while #out < limit and scanned < 5000 do
  local batch = redis.call('ZREVRANGEBYSCORE', 'convs', max, '-inf', 'WITHSCORES', 'LIMIT', 0, 200)
  if #batch == 0 then cursor = '' break end
  for i = 1, #batch, 2 do
    scanned = scanned + 1
    local id, score = batch[i], batch[i + 1]
    local c = conversation(id)
    local visible = allowed == nil or allowed[c.queue] or (viewer ~= '' and (c.agent == viewer or
      c.interpreter == viewer))
    if visible and (status == '' or c.status == status) and (queue == '' or c.queue == queue)
        and (channel == '' or c.origin_channel == channel) and (agent == '' or c.agent == agent) then
      out[#out + 1] = redis.call('HGETALL', conv_key(id))
      cursor = score
      if #out >= limit then break end
    end
    max = '(' .. score
  end
  if #batch < 400 and #out < limit then cursor = '' break end
end
out[#out + 1] = cursor
return out
