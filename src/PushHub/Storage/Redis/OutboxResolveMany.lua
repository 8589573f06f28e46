-- Resolves several claimed deliveries, each with its attempt line, in one step and in order: the kinds that need no
-- webhook facts (delivered, discard, retry, release; dead letters and disabling go through OutboxResolve.lua one
-- at a time). Each outcome is checked against its own claim: one whose claim is no longer held writes nothing and
-- is answered LOST, and the others go ahead.
-- Keys, per outcome of webhook id: P"ob:"id, P"obd:"id, P"att:"id.
-- ARGV[1] = P, then 8 per outcome: webhook id, seq, the claim's token (its lease is "<node>:<token>"), kind, the
-- attempt line JSON or "", next attempt ms or "" (retry), attempts spent "0"/"1" or "" (retry), status or "".
-- Reads before writes per outcome (its claim check, then its writes); an outcome's writes are not read by a later
-- outcome unless it names the same delivery, which then sees its claim gone, as it would in two calls.
-- Returns {"OK" or "LOST", ...}, one per outcome.
local p = ARGV[1]
local answers = {}
for i = 2, #ARGV, 8 do
  local wid, seq, token, kind, line = ARGV[i], ARGV[i + 1], ':' .. ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local ob, obd = p .. 'ob:' .. wid, p .. 'obd:' .. wid
  local d = claimedDelivery(obd, seq, token)
  if not d then
    answers[#answers + 1] = 'LOST'
  else
    if line ~= '' then
      pushAttempt(p, wid, line)
    end
    if not settle(ob, obd, seq, d, kind, tonumber(ARGV[i + 5]), tonumber(ARGV[i + 6]), tonumber(ARGV[i + 7])) then
      return redis.error_reply('not a resolution this script takes: ' .. kind)
    end
    answers[#answers + 1] = 'OK'
  end
end
return answers
