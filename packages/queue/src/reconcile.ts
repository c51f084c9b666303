import { hash, randomUUID } from "node:crypto";
import type { Logger } from "@switchyard/config";
import {
  advanceReconcileRun,
  claimReconcile,
  completeReconcileRun,
  type Db,
  getEvents,
  markBackfilled,
  type NewEvent,
  type ReconcileCursor,
  type ReconcilePhase,
  recordEvents,
  recordedAmong,
  releaseReconcile,
  settleBackfillMarks,
  startReconcileRun,
} from "@switchyard/db";
import {
  type EventLister,
  type EventPage,
  normalizeType,
  type ProviderEvent,
  RetryableError,
  routeFor,
} from "@switchyard/events";
import type { Metrics } from "@switchyard/metrics";
import type { Alerter } from "./alerts.ts";
import type { Dispatcher } from "./dispatch.ts";
import { escapeMrkdwn } from "./mrkdwn.ts";

/** Stripe keeps events for 30 days; a window reaching further back is cut there, a minute inside. */
const PROVIDER_HISTORY_MS = 30 * 86_400_000 - 60_000;
/** The first run, with no cursor and no `since`, looks back this far. */
const FIRST_RUN_MS = 86_400_000;
/** Each run starts this much before the last one ended: an event listed late is still seen. */
const OVERLAP_MS = 5 * 60_000;
const MAX_RATE_LIMIT_WAITS = 6;

export interface ReconcileOptions {
  db: Db;
  dispatcher: Dispatcher;
  lister: EventLister;
  logger: Logger;
  /** The gap alert ("14 events missed since …: backfilled"); a log line only when absent. */
  alerter?: Alerter;
  metrics?: Metrics;
  /** A new run's window starts here (`--since 24h`); else where the last run ended, less an overlap. */
  since?: Date;
  /** List the events whose webhook failed (`delivery_success=false`) first, then all of them. */
  undeliveredFirst?: boolean;
  /** How long the cursor is this run's without a renewal (each page renews it). */
  leaseMs: number;
  /** Events per request, 1–100 (Stripe's maximum, the default). */
  pageSize?: number;
  /**
   * The least time between two requests. Stripe allows 25 reads a second in test mode (100 live),
   * shared with billing-sync's reads; 4 a second stays far below both.
   */
  pageIntervalMs?: number;
  /** Events younger than this are left to their webhook, which is usually still on its way. */
  settleMs?: number;
  /** The first wait after a 429 without Retry-After; it doubles on each one after. */
  backoffMs?: number;
  now?: () => number;
  owner?: string;
}

export interface ReconcileResult {
  status: "completed" | "busy" | "lease_lost" | "failed";
  runId?: string;
  /** This run continued one a previous run left half-way. */
  resumed: boolean;
  from?: Date;
  to?: Date;
  /** Events the provider listed in the window, and of them those Switchyard had not recorded. */
  seen: number;
  backfilled: number;
  oldestMissed?: Date;
  error?: string;
}

const sha256 = (text: string) => hash("sha256", text, "hex");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What ingest would record for this event had its webhook arrived: same source, id, type, routes, hash. */
function asRecorded(source: string, e: ProviderEvent, runId: string): NewEvent {
  const type = normalizeType(source, e.type);
  const queues = [...routeFor(type)];
  return {
    source,
    sourceEventId: e.id,
    type,
    payload: e.payload,
    payloadHash: sha256(JSON.stringify(e.payload)),
    status: queues.length > 0 ? "received" : "processed",
    queues,
    // Marks the row and every worker log line of its jobs as the reconcile's.
    requestId: `reconcile-${runId}`,
    receivedAt: new Date(),
  };
}

/**
 * One reconcile of a provider's event list against Switchyard's record. Takes the source's cursor
 * (one process at a time), resumes the run a killed or failed one left (same window, phase and
 * page cursor), or opens a new window from the last reconciled point; then, page by page, records
 * every event Switchyard has not recorded through the same insert a webhook goes through
 * (`recordEvents`: a later webhook for it is a duplicate), marks it backfilled, enqueues it, and
 * stores the page's cursor. A 429 waits (Retry-After, else a doubling backoff) and renews the lease.
 */
export async function reconcileOnce(opts: ReconcileOptions): Promise<ReconcileResult> {
  const { db, lister, logger } = opts;
  const source = lister.source;
  const now = opts.now ?? Date.now;
  const owner = opts.owner ?? `${process.pid}-${randomUUID()}`;
  const pageSize = Math.min(100, Math.max(1, opts.pageSize ?? 100));
  const interval = opts.pageIntervalMs ?? 250;

  const cursor = await claimReconcile(db, source, owner, opts.leaseMs);
  if (!cursor) return { status: "busy", resumed: false, seen: 0, backfilled: 0 };

  const resumed = cursor.runId !== null && cursor.runFrom !== null && cursor.runTo !== null;
  const run = resumed ? resumedRun(cursor) : newRun(cursor, opts, now());
  if (!resumed && !(await startReconcileRun(db, source, owner, run))) return lost(run, false, 0, 0);
  let { phase, startingAfter } = run;
  let seen = resumed ? cursor.runSeen : 0;
  let backfilled = resumed ? cursor.runBackfilled : 0;
  let oldestMissed = resumed ? (cursor.runOldestMissed ?? undefined) : undefined;
  logger.info(resumed ? "reconcile resumed" : "reconcile started", {
    source,
    runId: run.runId,
    from: run.from.toISOString(),
    to: run.to.toISOString(),
    phase,
  });

  let lastRequest = 0;
  try {
    for (;;) {
      const wait = lastRequest + interval - now();
      if (wait > 0) await sleep(wait);
      lastRequest = now();
      const page = await pageWithBackoff(
        opts,
        owner,
        {
          gte: Math.floor(run.from.getTime() / 1000),
          lte: Math.floor(run.to.getTime() / 1000),
          startingAfter: startingAfter ?? undefined,
          limit: pageSize,
          undeliveredOnly: phase === "failed",
        },
        { phase, startingAfter },
      );
      if (page === "lease_lost") return lost(run, resumed, seen, backfilled);
      const found = await recordPage(opts, source, run.runId, page);
      const last = page.events.at(-1);
      const done = !page.hasMore || !last;
      const nextPhase: ReconcilePhase = done && phase === "failed" ? "all" : phase;
      const nextAfter = done ? null : last.id;
      // The first phase only brings the failed deliveries forward; the "all" phase lists each event
      // of the window once and counts it then (one this run recorded earlier counts as backfilled).
      const counted =
        phase === "all" ? { seen: page.events.length, backfilled: found.backfilled, oldest: found.oldest } : undefined;
      const advanced = await advanceReconcileRun(db, source, owner, {
        phase: nextPhase,
        startingAfter: nextAfter,
        seen: counted?.seen ?? 0,
        backfilled: counted?.backfilled ?? 0,
        oldestMissed: counted?.oldest,
        leaseMs: opts.leaseMs,
      });
      if (!advanced) return lost(run, resumed, seen, backfilled);
      if (counted) {
        seen += counted.seen;
        backfilled += counted.backfilled;
        if (counted.oldest && (!oldestMissed || counted.oldest < oldestMissed)) oldestMissed = counted.oldest;
        opts.metrics?.reconcileEvents.inc({ source, outcome: "present" }, counted.seen - counted.backfilled);
        opts.metrics?.reconcileEvents.inc({ source, outcome: "backfilled" }, counted.backfilled);
      }
      if (done && phase === "all") break;
      phase = nextPhase;
      startingAfter = nextAfter;
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await releaseReconcile(db, source, owner, message).catch(() => {});
    opts.metrics?.reconcileRuns.inc({ source, outcome: "failed" });
    logger.warn("reconcile stopped; the next run resumes it", { source, runId: run.runId, err });
    return {
      status: "failed",
      runId: run.runId,
      resumed,
      from: run.from,
      to: run.to,
      seen,
      backfilled,
      error: message,
    };
  }

  const closed = await completeReconcileRun(db, source, owner);
  if (!closed) return lost(run, resumed, seen, backfilled);
  opts.metrics?.reconcileRuns.inc({ source, outcome: "completed" });
  const result: ReconcileResult = {
    status: "completed",
    runId: run.runId,
    resumed,
    from: run.from,
    to: run.to,
    seen: closed.lastRunSeen ?? seen,
    backfilled: closed.lastRunBackfilled ?? backfilled,
    ...(oldestMissed ? { oldestMissed } : {}),
  };
  logger.info("reconcile completed", {
    source,
    runId: run.runId,
    seen: result.seen,
    backfilled: result.backfilled,
    reconciledUntil: closed.reconciledUntil?.toISOString(),
  });
  if (result.backfilled > 0) await alertGap(opts, source, result);
  return result;
}

interface Run {
  runId: string;
  from: Date;
  to: Date;
  phase: ReconcilePhase;
  startingAfter: string | null;
}

function resumedRun(c: ReconcileCursor): Run {
  return {
    runId: c.runId as string,
    from: c.runFrom as Date,
    to: c.runTo as Date,
    phase: c.runPhase ?? "all",
    startingAfter: c.runStartingAfter,
  };
}

function newRun(c: ReconcileCursor, opts: ReconcileOptions, at: number): Run {
  const to = at - (opts.settleMs ?? 60_000);
  const fromCursor = c.reconciledUntil ? c.reconciledUntil.getTime() - OVERLAP_MS : at - FIRST_RUN_MS;
  const from = Math.max(opts.since?.getTime() ?? fromCursor, at - PROVIDER_HISTORY_MS);
  return {
    runId: randomUUID(),
    from: new Date(Math.min(from, to)),
    to: new Date(to),
    phase: opts.undeliveredFirst ? "failed" : "all",
    startingAfter: null,
  };
}

const lost = (run: Run, resumed: boolean, seen: number, backfilled: number): ReconcileResult => ({
  status: "lease_lost",
  runId: run.runId,
  resumed,
  from: run.from,
  to: run.to,
  seen,
  backfilled,
});

/** One page; a 429 waits (renewing the lease first, so the wait cannot cost the cursor) and asks again. */
async function pageWithBackoff(
  opts: ReconcileOptions,
  owner: string,
  query: Parameters<EventLister["page"]>[0],
  at: { phase: ReconcilePhase; startingAfter: string | null },
): Promise<EventPage | "lease_lost"> {
  let backoff = opts.backoffMs ?? 1_000;
  for (let attempt = 0; ; attempt++) {
    try {
      return await opts.lister.page(query);
    } catch (err) {
      const limited = err instanceof RetryableError && err.reason === "rate_limited";
      if (!limited || attempt >= MAX_RATE_LIMIT_WAITS) throw err;
      const waitMs = Math.min(err.retryAfterMs ?? backoff, opts.leaseMs / 2);
      backoff *= 2;
      opts.logger.info("reconcile rate limited; waiting", { source: opts.lister.source, waitMs });
      const renewed = await advanceReconcileRun(opts.db, opts.lister.source, owner, {
        ...at,
        seen: 0,
        backfilled: 0,
        leaseMs: opts.leaseMs,
      });
      if (!renewed) return "lease_lost";
      await sleep(waitMs);
    }
  }
}

/**
 * Records the page's events Switchyard lacks and enqueues them. A row this run recorded before a
 * kill (marked by this run, still `received`) counts as this run's and is enqueued again: job ids
 * are the events', so a job already in Redis is not added twice.
 */
async function recordPage(
  opts: ReconcileOptions,
  source: string,
  runId: string,
  page: EventPage,
): Promise<{ backfilled: number; oldest?: Date }> {
  const { db } = opts;
  const known = await recordedAmong(
    db,
    source,
    page.events.map((e) => e.id),
  );
  const missing = page.events.filter((e) => !known.has(e.id));
  await markBackfilled(
    db,
    missing.map((e) => ({ source, sourceEventId: e.id, runId, providerCreated: new Date(e.created * 1000) })),
  );
  const results =
    missing.length > 0
      ? await recordEvents(
          db,
          missing.map((e) => asRecorded(source, e, runId)),
        )
      : [];
  const fresh = results.filter((r) => !r.duplicate).map((r) => r.event);
  // A webhook that arrived between the lookup and the insert recorded it: not a backfill after all.
  const beaten = results.filter((r) => r.duplicate).map((r) => r.event.sourceEventId);
  await settleBackfillMarks(
    db,
    source,
    fresh.map((e) => ({ sourceEventId: e.sourceEventId, eventId: e.id })),
    beaten,
  );
  const earlier = [...known.values()].filter((k) => k.backfilledBy === runId);
  const again = await getEvents(
    db,
    earlier.filter((k) => k.status === "received").map((k) => k.id),
  );
  await opts.dispatcher.enqueueMany([...fresh, ...again].filter((e) => e.status === "received"));
  const freshIds = new Set(fresh.map((e) => e.sourceEventId));
  const earlierIds = new Set([...known].filter(([, k]) => k.backfilledBy === runId).map(([id]) => id));
  const ours = page.events.filter((e) => freshIds.has(e.id) || earlierIds.has(e.id));
  const oldest = ours.reduce<number | undefined>(
    (min, e) => (min === undefined || e.created < min ? e.created : min),
    undefined,
  );
  return { backfilled: ours.length, ...(oldest === undefined ? {} : { oldest: new Date(oldest * 1000) }) };
}

async function alertGap(opts: ReconcileOptions, source: string, r: ReconcileResult): Promise<void> {
  const since = (r.oldestMissed ?? r.from ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z");
  const text = `:mag: Switchyard: ${r.backfilled} ${escapeMrkdwn(source)} event(s) missed since ${since}: backfilled from ${escapeMrkdwn(source)}'s event list and processed as their webhooks would have been (run ${r.runId}).`;
  const fields = { source, runId: r.runId, backfilled: r.backfilled, since };
  if (opts.alerter) await opts.alerter.send(text, fields);
  else opts.logger.warn("alert", { ...fields, text });
}
