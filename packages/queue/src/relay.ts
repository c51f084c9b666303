import type { Logger } from "@switchyard/config";
import {
  advanceRelayCursor,
  claimRelayPass,
  type Db,
  getEvents,
  type RelayPosition,
  releaseRelayPass,
  scanReceived,
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
}

export interface Relay {
  /** One pass; returns how many events it had to enqueue again. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

const CURSOR = "events";

/**
 * Makes sure every recorded event reached Redis, without a write per event: a cursor walks the
 * rows still `received` once they are past the grace period, checks that each routed queue holds
 * the event's job (the job id is the event's), and adds the ones that do not. Rows a worker has
 * finished are no longer `received`, so while workers keep up a pass reads almost nothing.
 */
export function createRelay(opts: RelayOptions): Relay {
  const batchSize = opts.batchSize ?? 500;
  const leaseMs = opts.leaseMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  async function runOnce(): Promise<number> {
    const pass = await claimRelayPass(opts.db, CURSOR, { graceMs: opts.graceMs, leaseMs });
    if (!pass) return 0; // another relay is on it
    let from: RelayPosition = pass.from;
    let total = 0;
    let reached = false;
    try {
      for (;;) {
        const rows = await scanReceived(opts.db, { from, horizon: pass.horizon, limit: batchSize });
        const missing = await opts.dispatcher.withoutJobs(rows);
        if (missing.length > 0) {
          await opts.dispatcher.enqueueMany(await getEvents(opts.db, missing));
          total += missing.length;
        }
        const last = rows.at(-1);
        if (!last || rows.length < batchSize) {
          reached = true;
          break;
        }
        from = { at: last.at, id: last.id };
        await advanceRelayCursor(opts.db, CURSOR, from, leaseMs);
        if (stopped) break;
      }
    } finally {
      // Redis away: the cursor stays before the rows not yet checked, and the next pass retries.
      await releaseRelayPass(opts.db, CURSOR, reached ? pass.horizon : undefined).catch(() => {});
      if (total > 0) opts.logger.info("relay enqueued recorded events", { count: total });
    }
    return total;
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
