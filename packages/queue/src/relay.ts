import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "@switchyard/config";
import {
  advanceRelayCursor,
  claimRelayPass,
  type Db,
  getEvents,
  type RelayPosition,
  releaseRelayPass,
  scanReceived,
  settleEvents,
} from "@switchyard/db";
import type { Dispatcher } from "./dispatch.ts";

export interface RelayOptions {
  db: Db;
  dispatcher: Dispatcher;
  logger: Logger;
  intervalMs: number;
  /** Rows written less than this ago are still being handled by their request; leave them alone. */
  graceMs: number;
  batchSize?: number;
  /** How long a pass holds the cursor without moving it before another relay may take over. */
  leaseMs?: number;
  /**
   * Rows still `received` this long after they were recorded are checked again, round and round,
   * in case Redis lost their jobs after the first check (a crash within its fsync window, a
   * failover, a flush).
   */
  recheckAfterMs?: number;
}

export interface Relay {
  /** One pass, then a share of the recheck; returns how many events it had to enqueue again. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

const CURSOR = "events";
const RECHECK_CURSOR = "events-recheck";
// Per pass: a large backlog of old rows is rechecked a share at a time, never all at once.
const RECHECK_ROWS_PER_PASS = 2_000;
const RECHECK_AFTER_MS = 15 * 60_000;
// Full rows carry bodies of up to 1 MiB: read and add the missing ones this many at a time.
const ENQUEUE_CHUNK = 64;
const LAG_WARNING_MS = 60_000;

/**
 * Makes sure every recorded event reached Redis, without a write per event: a cursor walks the
 * rows still `received` once they are past the grace period, checks that each routed queue holds
 * the event's job (the job id is the event's), and adds the ones that do not. Rows a worker has
 * finished are no longer `received`, so while workers keep up a pass reads almost nothing.
 */
export function createRelay(opts: RelayOptions): Relay {
  const batchSize = opts.batchSize ?? 200;
  const leaseMs = opts.leaseMs ?? 60_000;
  const recheckAfterMs = opts.recheckAfterMs ?? RECHECK_AFTER_MS;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  async function enqueueMissing(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += ENQUEUE_CHUNK) {
      await opts.dispatcher.enqueueMany(await getEvents(opts.db, ids.slice(i, i + ENQUEUE_CHUNK)));
    }
  }

  /**
   * Rows still `received` with nothing left pending: every queue completed or parked, and the
   * settle that would have said so lost with its process (a crash before a job's later settle
   * went out, settles.ts). Settled now, by the same check.
   */
  async function settleFinished(rows: readonly { id: string; queues: readonly string[] }[]): Promise<void> {
    const finished = rows.filter((r) => r.queues.length === 0).map((r) => r.id);
    if (finished.length === 0) return;
    const settled = await settleEvents(opts.db, finished);
    if (settled.size > 0) opts.logger.info("relay settled events whose settle was lost", { count: settled.size });
  }

  /**
   * One pass over one cursor. The first walks every row once, up to the horizon, and leaves the
   * cursor there. The recheck walks rows older than `recheckAfterMs` a share at a time and, at
   * the end, starts over from the beginning.
   */
  async function pass(scan: { cursor: string; graceMs: number; maxRows: number; recheck: boolean }): Promise<number> {
    const claimed = await claimRelayPass(opts.db, scan.cursor, { graceMs: scan.graceMs, leaseMs });
    if (!claimed) return 0; // another relay is on it
    let lease = claimed.lease;
    let from: RelayPosition = claimed.from;
    let total = 0;
    let scanned = 0;
    let reached = false;
    try {
      if (!claimed.sighted) {
        // A transaction it cannot see could still commit rows behind the cursor: do not move it.
        throw new Error(
          "the relay cannot see every open transaction in this database (track_activities is off, or a session of another role is connected); run every Switchyard process as one role",
        );
      }
      if (!scan.recheck && claimed.lagMs > LAG_WARNING_MS) {
        opts.logger.warn("relay held back by an old open transaction", { lagMs: Math.round(claimed.lagMs) });
      }
      for (;;) {
        const started = performance.now();
        const rows = await scanReceived(opts.db, {
          from,
          horizon: claimed.horizon,
          limit: batchSize,
          // Going round again, skip what finished and what an operator holds: see scanReceived.
          ...(scan.recheck ? { pending: true } : {}),
        });
        if (scan.recheck) await settleFinished(rows);
        const missing = await opts.dispatcher.withoutJobs(rows);
        await enqueueMissing(missing);
        total += missing.length;
        scanned += rows.length;
        const last = rows.at(-1);
        if (!last || rows.length < batchSize) {
          reached = true;
          break;
        }
        from = { at: last.at, id: last.id };
        const renewed = await advanceRelayCursor(opts.db, scan.cursor, { lease, leaseMs, to: from });
        if (!renewed) throw new Error("the relay pass outlived its lease; another pass took over");
        lease = renewed;
        if (stopped || scanned >= scan.maxRows) break;
        // Background work shares the process with requests: rest as long as the batch took, so a
        // long backlog never holds more than half of the event loop.
        await sleep(performance.now() - started);
      }
    } finally {
      // On a failure the cursor stays before the rows not yet checked, and the next pass resumes.
      const end = reached ? (scan.recheck ? { restart: true } : { reached: claimed.horizon }) : {};
      await releaseRelayPass(opts.db, scan.cursor, { lease, ...end }).catch(() => {});
      if (total > 0) {
        const what = scan.recheck ? "relay re-enqueued events whose jobs Redis lost" : "relay enqueued recorded events";
        opts.logger.info(what, { count: total });
      }
    }
    return total;
  }

  async function runOnce(): Promise<number> {
    const first = await pass({
      cursor: CURSOR,
      graceMs: opts.graceMs,
      maxRows: Number.POSITIVE_INFINITY,
      recheck: false,
    });
    if (stopped) return first;
    const again = await pass({
      cursor: RECHECK_CURSOR,
      graceMs: recheckAfterMs,
      maxRows: RECHECK_ROWS_PER_PASS,
      recheck: true,
    });
    return first + again;
  }

  const tick = () => {
    running = runOnce()
      .catch((err: unknown) => opts.logger.warn("relay pass failed; will retry", { err }))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, opts.intervalMs);
      });
  };

  return {
    runOnce,
    start() {
      stopped = false;
      timer = setTimeout(tick, opts.intervalMs);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
