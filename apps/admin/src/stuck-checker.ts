import type { Config, Logger } from "@switchyard/config";
import { type Db, type Unrelayed, unrelayedEvents } from "@switchyard/db";
import { JOB_CATALOG, WORK_QUEUES, type WorkQueue } from "@switchyard/events";
import {
  type Alerter,
  clock,
  escapeMrkdwn,
  keyPrefix,
  link,
  parkEta,
  type QueueRegistry,
  type RetryingInfo,
  retryingKey,
  untrusted,
} from "@switchyard/queue";
import type { Redis } from "ioredis";

/** A work queue with jobs waiting, and how long its next job has gone untaken. */
export interface QueueState {
  queue: WorkQueue;
  waiting: number;
  active: number;
  /** Connected workers; undefined when Redis will not list clients (some managed services). */
  workers: number | undefined;
  paused: boolean;
  rateLimitedMs: number;
  /** How long the job next in line has been there with no job taken, as the checker saw it. */
  untakenMs: number;
  stuck: boolean;
}

/** A job still retrying after its whole retry schedule (backoffs, a deadline per attempt) should have parked it. */
export interface LongRetrying extends RetryingInfo {
  retryingMs: number;
  scheduleMs: number;
}

export interface WorkReport {
  queues: QueueState[];
  unrelayed: Unrelayed | undefined;
  retrying: LongRetrying[];
}

export interface StuckDeps {
  db: Db;
  redis: Redis;
  registry: QueueRegistry;
  config: Config;
}

// Candidates read per check, oldest first; more past their schedule only add to the count.
const RETRYING_SCAN = 20;

const headKey = (prefix: string, queue: WorkQueue) => `${prefix}:stuck:head:${queue}`;

/** Every attempt's backoff at its longest and its full deadline, then STUCK_AFTER_MS of slack. */
function scheduleMs(info: RetryingInfo, config: Config): number {
  const spec = JOB_CATALOG[info.queue];
  const backoffs = parkEta(0, 1, info.attempts, { type: "exponential", delay: info.backoffMs });
  return backoffs + info.attempts * spec.timeoutMs + config.STUCK_AFTER_MS;
}

async function queueState(deps: StuckDeps, queue: WorkQueue, now: number, track: boolean): Promise<QueueState> {
  const q = deps.registry.get(queue);
  const key = headKey(keyPrefix(deps.config), queue);
  // Workers take jobs from the right end of the wait list (RPOPLPUSH): that job is next in line.
  const [counts, head, seen, paused, rateLimitedMs, workers] = await Promise.all([
    q.getJobCounts("waiting", "prioritized", "active"),
    deps.redis.lindex(q.toKey("wait"), -1),
    deps.redis.hgetall(key),
    q.isPaused(),
    q.getRateLimitTtl().then((ttl) => Math.max(0, ttl)),
    q.getWorkersCount().catch(() => undefined),
  ]);
  const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
  let since = now;
  if (!head) {
    if (track && seen.head) await deps.redis.del(key);
  } else if (seen.head === head) {
    since = Number(seen.since);
  } else if (track) {
    // A new job next in line: if the queue was empty it has waited since it was added; if another
    // job was next, a worker took that one since the last check, so the clock starts now.
    const added = seen.head ? undefined : await deps.redis.hget(q.toKey(head), "timestamp");
    since = added ? Math.min(now, Number(added)) : now;
    await deps.redis.hset(key, { head, since });
  }
  const untakenMs = waiting > 0 ? now - since : 0;
  return {
    queue,
    waiting,
    active: counts.active ?? 0,
    workers,
    paused,
    rateLimitedMs,
    untakenMs,
    stuck: waiting > 0 && untakenMs >= deps.config.STUCK_AFTER_MS,
  };
}

async function longRetrying(deps: StuckDeps, now: number): Promise<LongRetrying[]> {
  const key = retryingKey(keyPrefix(deps.config));
  const old = await deps.redis.zrangebyscore(
    key,
    "-inf",
    now - deps.config.STUCK_AFTER_MS,
    "WITHSCORES",
    "LIMIT",
    0,
    RETRYING_SCAN,
  );
  const out: LongRetrying[] = [];
  for (let i = 0; i + 1 < old.length; i += 2) {
    const member = old[i] as string;
    const raw = await deps.redis.hget(`${key}:info`, member);
    const info = raw ? (JSON.parse(raw) as RetryingInfo) : undefined;
    if (!info || !(WORK_QUEUES as readonly string[]).includes(info.queue)) {
      await deps.redis.zrem(key, member);
      continue;
    }
    const retryingMs = now - Number(old[i + 1]);
    const schedule = scheduleMs(info, deps.config);
    if (retryingMs < schedule) continue;
    // A success seen by a process that did not know the job was failing leaves it listed.
    const job = await deps.registry.get(info.queue).getJob(info.jobId);
    const state = job ? await job.getState() : "missing";
    if (state === "completed" || state === "failed" || state === "missing") {
      await deps.redis.multi().zrem(key, member).hdel(`${key}:info`, member).exec();
      continue;
    }
    out.push({ ...info, retryingMs, scheduleMs: schedule });
  }
  return out;
}

/** What the console shows; reads only (the checker is what moves each queue's clock). */
export async function inspectWork(deps: StuckDeps, now = Date.now()): Promise<WorkReport> {
  return report(deps, now, false);
}

async function report(deps: StuckDeps, now: number, track: boolean): Promise<WorkReport> {
  const [queues, unrelayed, retrying] = await Promise.all([
    Promise.all(WORK_QUEUES.map((q) => queueState(deps, q, now, track))),
    unrelayedEvents(deps.db, deps.config.RELAY_GRACE_MS + deps.config.STUCK_AFTER_MS),
    longRetrying(deps, now),
  ]);
  return { queues, unrelayed, retrying };
}

export interface StuckChecker {
  check(): Promise<WorkReport>;
  close(): Promise<void>;
}

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
const minutes = (ms: number) => (ms < 120_000 ? seconds(ms) : `${Math.round(ms / 60_000)} min`);

function whyStuck(s: QueueState): string {
  if (s.paused) return `${s.queue} is paused: Resume it in Bull Board.`;
  if (s.rateLimitedMs > 0)
    return `${s.queue} is rate-limited for ${seconds(s.rateLimitedMs)} more, at its provider's request.`;
  if (s.workers === 0)
    return `No worker is connected to ${s.queue}: is its process running (\`node apps/${s.queue}/src/main.ts\`, or \`pnpm start\`)?`;
  const connected = s.workers === undefined ? "Workers may be connected" : `${s.workers} worker(s) connected`;
  return `${connected}, ${s.active} job(s) active, none taking more: every worker is blocked (a hung call, or lost Redis).`;
}

/**
 * Stuck work: a queue whose next job nobody takes for STUCK_AFTER_MS (no worker alive, or every
 * one blocked), recorded events the relay has not passed STUCK_AFTER_MS after their grace, and a
 * job still retrying past its whole retry schedule. Runs in admin: a worker cannot report its own
 * absence, ingest scales out, and admin is the one operator process. Each condition alerts once
 * (`SET NX` on `<prefix>:alerts:stuck:<name>`) and, when it clears, the one process whose DEL
 * removed the key says it recovered, so a second admin sends nothing twice.
 */
export function startStuckChecker(
  opts: StuckDeps & { alerter: Alerter; logger: Logger; intervalMs?: number; now?: () => number },
): StuckChecker {
  const now = opts.now ?? Date.now;
  const { alerter, redis } = opts;
  const prefix = keyPrefix(opts.config);
  const overview = link(`${alerter.adminUrl}/console`, "console overview");
  const board = (queue: string, status: string) =>
    link(`${alerter.adminUrl}/queues/queue/${encodeURIComponent(queue)}?status=${status}`, `${queue} in Bull Board`);
  let inFlight: Promise<unknown> | undefined;

  async function condition(name: string, active: boolean, text: () => string, recovered: () => string) {
    const key = `${prefix}:alerts:stuck:${name}`;
    if (active) {
      if ((await redis.set(key, String(now()), "NX")) === "OK") await alerter.send(text(), { stuck: name });
    } else if ((await redis.del(key)) > 0) {
      await alerter.send(recovered(), { stuck: name, alert: "recovered" });
    }
  }

  async function check(): Promise<WorkReport> {
    const r = await report(opts, now(), true);
    for (const s of r.queues) {
      await condition(
        `queue:${s.queue}`,
        s.stuck,
        () =>
          [
            `:hourglass: Switchyard: ${s.queue} is stuck: ${s.waiting} job(s) waiting, none taken for ${seconds(s.untakenMs)}`,
            whyStuck(s),
            `${board(s.queue, "waiting")} · ${overview}`,
          ].join("\n"),
        () =>
          `:white_check_mark: Switchyard: ${s.queue} is taking jobs again (${s.waiting} waiting) at ${clock(now())}`,
      );
    }
    const u = r.unrelayed;
    await condition(
      "relay",
      u !== undefined,
      () =>
        [
          `:hourglass: Switchyard: ${u?.count} recorded event(s) not relayed to Redis, the oldest ${minutes(u?.oldestMs ?? 0)} old`,
          "Ingest's relay adds their jobs: is an ingest process running, and can it reach Redis and see every Postgres session?",
          overview,
        ].join("\n"),
      () => `:white_check_mark: Switchyard: recorded events are reaching their queues again (${clock(now())})`,
    );
    const [oldest] = r.retrying;
    await condition(
      "retrying",
      oldest !== undefined,
      () =>
        [
          `:hourglass: Switchyard: ${escapeMrkdwn(oldest?.queue ?? "")} job ${untrusted(oldest?.jobId ?? "", 80)} (${escapeMrkdwn(oldest?.jobName ?? "")}) has been retrying for ${minutes(oldest?.retryingMs ?? 0)}, longer than its retry schedule allows (${minutes(oldest?.scheduleMs ?? 0)})`,
          `Last reason: ${escapeMrkdwn(oldest?.reason ?? "")}; event ${untrusted(oldest?.eventId ?? "unknown", 80)}.${r.retrying.length > 1 ? ` ${r.retrying.length - 1} more job(s) too.` : ""}`,
          `${board(oldest?.queue ?? "", "delayed")} · ${overview}`,
        ].join("\n"),
      () => `:white_check_mark: Switchyard: no job is retrying past its schedule any more (${clock(now())})`,
    );
    return r;
  }

  const timer =
    opts.intervalMs === undefined
      ? undefined
      : setInterval(() => {
          if (inFlight) return;
          inFlight = check()
            .catch((err: unknown) => opts.logger.warn("stuck-work check failed", { err }))
            .finally(() => {
              inFlight = undefined;
            });
        }, opts.intervalMs);
  timer?.unref();
  return {
    check,
    async close() {
      if (timer) clearInterval(timer);
      await inFlight;
    },
  };
}

/** Often enough that a stuck queue alerts within a sixth of STUCK_AFTER_MS of it, at most every 10 s. */
export const stuckCheckInterval = (config: Config) => Math.min(10_000, Math.max(1_000, config.STUCK_AFTER_MS / 6));
