-- delivery: record what a channel said about an outbound message.
--
-- ARGV  1 conversation_id
--       2 message_id
--       3 status         pending | sent | delivered | failed | retrying
--       4 detail         provider id or failure reason (no message text, no addresses)
--       5 events_maxlen
--
-- Stores "status" (and "detail" when given) in conv:{id}:delivery under the message id, and
-- publishes message.updated. A final status (delivered, failed) is not overwritten by an
-- earlier one arriving late (sent, pending).
-- Returns the stored status. Errors: "not_found …" (no such outbound message: only replies,
-- which append.lua marks "pending", have a delivery status).
local conv_id, msg_id, status, detail, maxlen = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local key = conv_key(conv_id)
local current = redis.call('HGET', key .. ':delivery', msg_id)
if not current then
  return redis.error_reply('not_found no outbound message ' .. msg_id .. ' in ' .. conv_id)
end
local rank = {pending = 0, retrying = 1, sent = 2, delivered = 3, failed = 3}
if current and (rank[current] or 0) >= (rank[status] or 0) and current ~= 'retrying' then
  return current
end
redis.call('HSET', key .. ':delivery', msg_id, status)
if detail ~= '' then redis.call('HSET', key .. ':delivery', msg_id .. ':detail', detail) end
publish(maxlen, 'message.updated', conversation(conv_id),
  {message = {id = msg_id, delivery = status}})
return status
