-- outbox: replies waiting for another attempt after a passing failure, durable across restarts.
--
-- ARGV  1 op            schedule | claim | done
--   schedule: 2 member  "<conversation id> <message id>"
--             3 item    JSON: what the sender needs to try again (channel, address, text, attempt…)
--             4 delay_ms
--   claim:    2 limit   at most this many due replies
--             3 lease_ms a claimed reply is due again after this long, unless done or
--                      rescheduled first (the instance that claimed it may have crashed)
--   done:     2 member
--
-- Keys: outbox (sorted set, member → due time in ms), outbox:items (hash, member → item).
-- Returns: schedule, done → 1; claim → {ms until the next due reply or -1, member, item, …}.
local op = ARGV[1]
if op == 'schedule' then
  redis.call('HSET', 'outbox:items', ARGV[2], ARGV[3])
  redis.call('ZADD', 'outbox', now_ms() + tonumber(ARGV[4]), ARGV[2])
  return 1
elseif op == 'done' then
  redis.call('ZREM', 'outbox', ARGV[2])
  redis.call('HDEL', 'outbox:items', ARGV[2])
  return 1
elseif op == 'claim' then
  local now = now_ms()
  local due = redis.call('ZRANGEBYSCORE', 'outbox', '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
  local out = {-1}
  for _, member in ipairs(due) do
    local item = redis.call('HGET', 'outbox:items', member)
    if item then
      redis.call('ZADD', 'outbox', now + tonumber(ARGV[3]), member)
      out[#out + 1] = member
      out[#out + 1] = item
    else
      redis.call('ZREM', 'outbox', member)
    end
  end
  local next = redis.call('ZRANGE', 'outbox', 0, 0, 'WITHSCORES')
  if next[2] then out[1] = math.max(0, tonumber(next[2]) - now) end
  return out
end
return redis.error_reply('invalid outbox operation ' .. tostring(op))
