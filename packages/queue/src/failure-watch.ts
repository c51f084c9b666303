import type { Config, Logger } from "@switchyard/config";
import { type Db, openFailuresAmong } from "@switchyard/db";
import { failureQueueName, type ReasonCode, type WorkQueue } from "@switchyard/events";
import type { Redis } from "ioredis";
import { type Alerter, lookLinks } from "./alerts.ts";
import { CLAIM, FAILED, RECOVER, SUCCEEDED } from "./failure-watch-scripts.ts";
import { clock, escapeMrkdwn, link, untrusted } from "./mrkdwn.ts";
import { providerOf } from "./providers.ts";

/** One failed attempt, as the worker runtime saw it. */
export interface FailedAttempt {
  queue: WorkQueue;
  jobId: string;
  jobName: string;
  eventId?: string | undefined;
  reason: ReasonCode;
  /** Redacted: it is stored in Redis and sent. */
  error: string;
  /** Attempts made, this one included. */
  attemptsMade: number;
  attempts: number;
  backoff?: { type?: string; delay?: number } | number | undefined;
  /** This attempt parked the job (its last, or a permanent error). */
  parked: boolean;
}

/** What a job still retrying carries in `<prefix>:alerts:retrying:info`, for the stuck checker. */
export interface RetryingInfo {
  queue: WorkQueue;
  jobId: string;
  jobName: string;
  eventId?: string | undefined;
  reason: ReasonCode;
  attemptsMade: number;
  attempts: number;
  backoffMs: number;
}

export interface FailureWatch {
  failed(attempt: FailedAttempt): Promise<void>;
  /** `ran`: the handler ran (a skipped, already-delivered job only resolves its own failure). */
  succeeded(queue: WorkQueue, jobId: string, jobName: string, ran: boolean): Promise<void>;
  /** Sends what is due and what recovered; the watch's own timer calls it every `tickMs`. */
  tick(): Promise<void>;
  close(): Promise<void>;
}

export interface FailureWatchOptions {
  redis: Redis;
  prefix: string;
  alerter: Alerter;
  config: Config;
  logger: Logger;
  /** To find parked failures resolved by an operator (discarded); without it only successes recover. */
  db?: Db;
  /** Omit for no timer (tests call tick()). */
  tickMs?: number;
  now?: () => number;
}

// Long enough that no real episode outlives it; a forgotten one must not stay in Redis for ever.
const EPISODE_TTL_MS = 7 * 24 * 3_600_000;
// The failures table is asked about parked jobs at most this often per reason.
const DB_CHECK_MS = 10_000;

export const failingKey = (prefix: string) => `${prefix}:alerts:failing`;
export const retryingKey = (prefix: string) => `${prefix}:alerts:retrying`;

/** When the last retry of a job fails and parks it, if every attempt fails: its backoffs, at their longest. */
export function parkEta(
  now: number,
  attemptsMade: number,
  attempts: number,
  backoff: FailedAttempt["backoff"],
): number {
  const { type, delay = 0 } = typeof backoff === "number" ? { type: "fixed", delay: backoff } : (backoff ?? {});
  let at = now;
  for (let made = attemptsMade; made < attempts; made++) at += type === "fixed" ? delay : 2 ** (made - 1) * delay;
  return at;
}

/**
 * Alerts while a reason is failing, before anything parks. The first failed attempt of a reason
 * opens an episode due ALERT_AFTER_MS later; when due it alerts unless it healed with nothing
 * left retrying or parked, and a lone failure followed by a success of its queue closes it
 * silently. An alerted episode ends with one "recovered" message when every failing queue has
 * had a success since its last failure, or when every job that failed succeeded or was resolved.
 * State lives in Redis, so the processes of a deployment share one episode per reason.
 */
export function startFailureWatch(opts: FailureWatchOptions): FailureWatch {
  const { redis, prefix, alerter, logger } = opts;
  const now = opts.now ?? Date.now;
  const set = failingKey(prefix);
  const episode = (reason: string) => `${set}:${reason}`;
  // Queues with an episode, as this process last read them: a success elsewhere costs nothing.
  let failingQueues = new Set<string>();
  const checkedDb = new Map<string, number>();
  let ticking: Promise<void> | undefined;

  async function failed(a: FailedAttempt): Promise<void> {
    const at = now();
    const member = `${a.queue}/${a.jobId}`;
    const info: RetryingInfo = {
      queue: a.queue,
      jobId: a.jobId,
      jobName: a.jobName,
      eventId: a.eventId,
      reason: a.reason,
      attemptsMade: a.attemptsMade,
      attempts: a.attempts,
      backoffMs: typeof a.backoff === "number" ? a.backoff : (a.backoff?.delay ?? 0),
    };
    failingQueues.add(a.queue);
    await redis.eval(
      FAILED,
      4,
      set,
      episode(a.reason),
      retryingKey(prefix),
      `${retryingKey(prefix)}:info`,
      a.reason,
      at,
      member,
      a.parked ? "" : parkEta(at, a.attemptsMade, a.attempts, a.backoff),
      a.queue,
      a.jobName,
      a.error.slice(0, 1_000),
      providerOf(a.queue, opts.config),
      opts.config.ALERT_AFTER_MS,
      JSON.stringify(info),
      EPISODE_TTL_MS,
    );
  }

  async function succeeded(queue: WorkQueue, jobId: string, jobName: string, ran: boolean): Promise<void> {
    if (!failingQueues.has(queue)) return;
    const healed = (await redis.eval(
      SUCCEEDED,
      3,
      set,
      retryingKey(prefix),
      `${retryingKey(prefix)}:info`,
      set,
      now(),
      queue,
      `${queue}/${jobId}`,
      jobName,
      ran ? "1" : "0",
    )) as string[];
    for (const reason of healed) await recover(reason, "healed", 0);
  }

  async function recover(reason: string, mode: "healed" | "resolved", parked: number): Promise<void> {
    const flat = (await redis.eval(RECOVER, 2, set, episode(reason), reason, mode, parked)) as string[] | null;
    if (!flat) return;
    const ep = fieldsOf(flat);
    const text = recoveredText(reason as ReasonCode, ep, { adminUrl: alerter.adminUrl, at: now(), mode });
    await alerter.send(text, { reason, alert: "recovered", failures: Number(ep.failures) });
  }

  async function alertDue(reason: ReasonCode): Promise<void> {
    const outcome = await redis.eval(CLAIM, 2, set, episode(reason), reason, now(), opts.config.ALERT_WINDOW_MS);
    if (outcome !== "alert") return;
    const snap = await readEpisode(redis, prefix, reason);
    if (!snap) return;
    await alerter.send(failingText(snap, alerter.adminUrl), {
      reason,
      alert: "failing",
      failures: snap.failures,
      retrying: snap.retrying,
    });
  }

  /** An alerted episode with nothing retrying: recovered once every parked job is resolved. */
  async function resolvedByOperator(reason: ReasonCode): Promise<void> {
    const ep = episode(reason);
    if ((await redis.zcard(`${ep}:jobs`)) > 0) return;
    const parked = await redis.smembers(`${ep}:parked`);
    if (parked.length > 0) {
      if (!opts.db || now() - (checkedDb.get(reason) ?? 0) < DB_CHECK_MS) return;
      checkedDb.set(reason, now());
      const keys = parked.map((m) => ({ queue: m.slice(0, m.indexOf("/")), jobId: m.slice(m.indexOf("/") + 1) }));
      if ((await openFailuresAmong(opts.db, keys)) > 0) return;
    }
    await recover(reason, "resolved", parked.length);
  }

  async function runTick(): Promise<void> {
    const reasons = (await redis.smembers(set)) as ReasonCode[];
    const queues = new Set<string>();
    for (const reason of reasons) {
      const ep = await redis.hgetall(episode(reason));
      if (!ep.since) {
        // Expired; FAILED adds the reason back whenever it writes an episode.
        await redis.srem(set, reason);
        continue;
      }
      for (const field of Object.keys(ep)) if (field.startsWith("f:")) queues.add(field.slice(2));
      if (!ep.sent) {
        if (now() >= Number(ep.due)) await alertDue(reason);
      } else {
        await resolvedByOperator(reason);
      }
    }
    failingQueues = queues;
  }

  async function tick(): Promise<void> {
    // One tick at a time: a slow Redis must not pile them up.
    ticking ??= runTick()
      .catch((err: unknown) => logger.warn("failure watch tick failed", { err }))
      .finally(() => {
        ticking = undefined;
      });
    return ticking;
  }

  const timer = opts.tickMs === undefined ? undefined : setInterval(() => void tick(), opts.tickMs);
  timer?.unref();

  const quietly =
    <A extends unknown[]>(what: string, fn: (...args: A) => Promise<void>) =>
    async (...args: A) => {
      // The watch is a by-product of a job's run: its trouble must never fail the job.
      await fn(...args).catch((err: unknown) => logger.warn(`failure watch could not record a ${what}`, { err }));
    };

  return {
    failed: quietly("failure", failed),
    succeeded: quietly("success", succeeded),
    tick,
    async close() {
      if (timer) clearInterval(timer);
      await ticking;
    },
  };
}

/** A reason failing now, as the console and the alert show it. */
export interface FailingEpisode {
  reason: ReasonCode;
  since: number;
  last: number;
  failures: number;
  error: string;
  jobName: string;
  queues: { queue: string; provider: string }[];
  retrying: number;
  parked: number;
  /** When the first and the last retrying job park if every retry fails. */
  parkFrom?: number | undefined;
  parkTo?: number | undefined;
  alertedAt?: number | undefined;
}

function fieldsOf(flat: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i] as string] = flat[i + 1] as string;
  return out;
}

function queuesOf(ep: Record<string, string>): FailingEpisode["queues"] {
  return Object.keys(ep)
    .filter((k) => k.startsWith("f:"))
    .map((k) => k.slice(2))
    .sort()
    .map((queue) => ({ queue, provider: ep[`p:${queue}`] ?? "" }));
}

export async function readEpisode(
  redis: Redis,
  prefix: string,
  reason: ReasonCode,
): Promise<FailingEpisode | undefined> {
  const ep = `${failingKey(prefix)}:${reason}`;
  const [fields, retrying, first, lastParks, parked] = await Promise.all([
    redis.hgetall(ep),
    redis.zcard(`${ep}:jobs`),
    redis.zrange(`${ep}:jobs`, "0", "0", "WITHSCORES"),
    redis.zrange(`${ep}:jobs`, "-1", "-1", "WITHSCORES"),
    redis.scard(`${ep}:parked`),
  ]);
  if (!fields.since) return undefined;
  return {
    reason,
    since: Number(fields.since),
    last: Number(fields.last),
    failures: Number(fields.failures),
    error: fields.error ?? "",
    jobName: fields.job ?? "",
    queues: queuesOf(fields),
    retrying,
    parked,
    parkFrom: first[1] === undefined ? undefined : Number(first[1]),
    parkTo: lastParks[1] === undefined ? undefined : Number(lastParks[1]),
    alertedAt: fields.sent ? Number(fields.sent) : undefined,
  };
}

/** Every reason failing now, for the console overview. */
export async function failingNow(redis: Redis, prefix: string): Promise<FailingEpisode[]> {
  const reasons = (await redis.smembers(failingKey(prefix))) as ReasonCode[];
  const episodes = await Promise.all(reasons.sort().map((r) => readEpisode(redis, prefix, r)));
  return episodes.filter((e): e is FailingEpisode => e !== undefined);
}

const where = (queues: FailingEpisode["queues"]) =>
  queues.map((q) => `${escapeMrkdwn(q.queue)} (${escapeMrkdwn(q.provider)})`).join(", ");

export function failingText(ep: FailingEpisode, adminUrl: string): string {
  const retrying =
    ep.retrying === 0
      ? "no job is retrying"
      : `${ep.retrying} job(s) retrying; if every retry fails they park between ${clock(ep.parkFrom ?? ep.last, false)} and ${clock(ep.parkTo ?? ep.last)} in ${failureQueueName(ep.reason)}`;
  const parked = ep.parked > 0 ? `, ${ep.parked} already parked` : "";
  return [
    `:warning: Switchyard: ${ep.reason} failing in ${where(ep.queues)} since ${clock(ep.since)}`,
    `> ${untrusted(ep.error)}`,
    `${ep.failures} failed attempt(s) so far: ${retrying}${parked}.`,
    // Nothing has parked yet, so the console's failures list may be empty: its overview shows this episode.
    [
      link(`${adminUrl}/console`, "Failing now, in the console"),
      ...ep.queues.map((q) =>
        link(
          `${adminUrl}/queues/queue/${encodeURIComponent(q.queue)}?status=delayed`,
          `${q.queue} retries in Bull Board`,
        ),
      ),
    ].join(" · "),
    `No other ${ep.reason} failing alert for now: one "recovered" message follows when it stops failing.`,
  ].join("\n");
}

export function recoveredText(
  reason: ReasonCode,
  ep: Record<string, string>,
  how: { adminUrl: string; at: number; mode: "healed" | "resolved" },
): string {
  const parked = Number(ep.parked ?? 0);
  const links = lookLinks(how.adminUrl, reason, { name: failureQueueName(reason), status: "failed" });
  return [
    `:white_check_mark: Switchyard: ${reason} recovered in ${where(queuesOf(ep))} at ${clock(how.at)}`,
    `It failed from ${clock(Number(ep.since), false)} to ${clock(Number(ep.last))}: ${ep.failures} failed attempt(s).`,
    how.mode === "resolved"
      ? "Every job that failed has since succeeded or was resolved in the console."
      : parked > 0
        ? `${parked} job(s) parked meanwhile wait for a retry: ${links}`
        : "",
  ]
    .filter(Boolean)
    .join("\n");
}
