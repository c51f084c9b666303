// The failure watch's state changes, each one Lua script so that processes racing on one reason
// (several workers failing, one succeeding, two ticks) leave one episode and send one message.
//
// Per reason, under `<prefix>:alerts:failing:<reason>`:
//   (hash)     since, due, failures, last, error, job, sent; per queue f:<q> last failure, s:<q>
//              last success after the failures, p:<q> provider; n:<q>/<job name> for each job
//              name that failed
//   :jobs      (zset) jobs still retrying, scored by when they park if nothing changes
//   :parked    (set) jobs that parked during the episode
//   :window    when a failing alert goes out: the time its window ends (and it expires then)
// `<prefix>:alerts:failing` (set) lists the reasons with an episode.

const HELPERS = `
local function healed(ep)
  local h = redis.call("HGETALL", ep)
  local failed, ok = {}, {}
  for i = 1, #h, 2 do
    local kind, q = string.sub(h[i], 1, 2), string.sub(h[i], 3)
    if kind == "f:" then failed[q] = tonumber(h[i + 1]) elseif kind == "s:" then ok[q] = tonumber(h[i + 1]) end
  end
  for q, at in pairs(failed) do
    if not ok[q] or ok[q] < at then return false end
  end
  return true
end
local function close(set, ep, reason)
  redis.call("DEL", ep, ep .. ":jobs", ep .. ":parked")
  redis.call("SREM", set, reason)
end
`;

/**
 * KEYS: reasons set, episode, retrying zset, retrying info hash.
 * ARGV: reason, now, member, park time ("" when this attempt parked it), queue, job name, error,
 * provider, alert-after ms, info JSON, ttl ms.
 */
export const FAILED = `${HELPERS}
local ep, now = KEYS[2], tonumber(ARGV[2])
if redis.call("EXISTS", ep) == 0 then
  redis.call("HSET", ep, "since", now, "due", now + tonumber(ARGV[9]), "failures", 0)
end
redis.call("SADD", KEYS[1], ARGV[1])
redis.call("HINCRBY", ep, "failures", 1)
redis.call("HSET", ep, "last", now, "error", ARGV[7], "job", ARGV[6], "f:" .. ARGV[5], now,
  "p:" .. ARGV[5], ARGV[8], "n:" .. ARGV[5] .. "/" .. ARGV[6], 1)
if ARGV[4] == "" then
  redis.call("ZREM", ep .. ":jobs", ARGV[3])
  redis.call("SADD", ep .. ":parked", ARGV[3])
  redis.call("ZREM", KEYS[3], ARGV[3])
  redis.call("HDEL", KEYS[4], ARGV[3])
else
  redis.call("ZADD", ep .. ":jobs", ARGV[4], ARGV[3])
  redis.call("SREM", ep .. ":parked", ARGV[3])
  redis.call("ZADD", KEYS[3], "NX", now, ARGV[3])
  redis.call("HSET", KEYS[4], ARGV[3], ARGV[10])
end
for _, key in ipairs({ ep, ep .. ":jobs", ep .. ":parked" }) do redis.call("PEXPIRE", key, ARGV[11]) end
return 1`;

/**
 * A job of a queue completed. It counts for an episode when the job itself was failing, or when
 * it ran (not skipped) and a job of that name failed: another job type of the queue may not call
 * the provider at all. A lone failure followed by such a success was a blip: the episode closes
 * silently. Returns the reasons whose alerted episode is now healed, for RECOVER.
 * KEYS: reasons set, retrying zset, retrying info hash. ARGV: episode key base, now, queue,
 * member, job name, "1" when it ran.
 */
export const SUCCEEDED = `${HELPERS}
local healedReasons = {}
for _, reason in ipairs(redis.call("SMEMBERS", KEYS[1])) do
  local ep = ARGV[1] .. ":" .. reason
  if redis.call("HEXISTS", ep, "f:" .. ARGV[3]) == 1 then
    local was = redis.call("ZREM", ep .. ":jobs", ARGV[4]) + redis.call("SREM", ep .. ":parked", ARGV[4])
    if was > 0 or (ARGV[6] == "1" and redis.call("HEXISTS", ep, "n:" .. ARGV[3] .. "/" .. ARGV[5]) == 1) then
      redis.call("HSET", ep, "s:" .. ARGV[3], ARGV[2])
      if redis.call("HEXISTS", ep, "sent") == 1 then
        if healed(ep) then table.insert(healedReasons, reason) end
      elseif tonumber(redis.call("HGET", ep, "failures") or "0") <= 1 then
        close(KEYS[1], ep, reason)
      end
    end
  end
end
redis.call("ZREM", KEYS[2], ARGV[4])
redis.call("HDEL", KEYS[3], ARGV[4])
return healedReasons`;

/**
 * The alert is due: claim it (one process sends), or wait out the window of the last failing
 * alert of this reason, or close an episode that healed with nothing left retrying or parked.
 * KEYS: reasons set, episode. ARGV: reason, now, window ms. Returns alert | wait | closed | none.
 */
export const CLAIM = `${HELPERS}
local ep, now = KEYS[2], tonumber(ARGV[2])
if redis.call("EXISTS", ep) == 0 or redis.call("HEXISTS", ep, "sent") == 1 then return "none" end
local due = tonumber(redis.call("HGET", ep, "due"))
local windowEnds = tonumber(redis.call("GET", ep .. ":window") or "0")
if windowEnds > due then
  due = windowEnds
  redis.call("HSET", ep, "due", due)
end
if now < due then return "wait" end
if healed(ep) and redis.call("ZCARD", ep .. ":jobs") == 0 and redis.call("SCARD", ep .. ":parked") == 0 then
  close(KEYS[1], ep, ARGV[1])
  return "closed"
end
redis.call("HSET", ep, "sent", now)
redis.call("SET", ep .. ":window", now + tonumber(ARGV[3]), "PX", ARGV[3])
return "alert"`;

/**
 * Ends an alerted episode, once: the process whose call deletes it sends "recovered", with the
 * episode as it was. Mode "healed": every failing queue had a success after its last failure.
 * Mode "resolved": nothing retrying, and exactly ARGV[3] parked jobs, which the caller found
 * resolved in the failures table. KEYS: reasons set, episode. ARGV: reason, mode, parked count.
 */
export const RECOVER = `${HELPERS}
local ep = KEYS[2]
if redis.call("HEXISTS", ep, "sent") == 0 then return false end
if ARGV[2] == "healed" and not healed(ep) then return false end
if ARGV[2] == "resolved" and (redis.call("ZCARD", ep .. ":jobs") > 0
  or redis.call("SCARD", ep .. ":parked") ~= tonumber(ARGV[3])) then return false end
local snapshot = redis.call("HGETALL", ep)
table.insert(snapshot, "parked")
table.insert(snapshot, tostring(redis.call("SCARD", ep .. ":parked")))
close(KEYS[1], ep, ARGV[1])
return snapshot`;
