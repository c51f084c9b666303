import type { Logger } from "@switchyard/config";
import { claimUnenqueued, type Db, releaseClaims } from "@switchyard/db";
import type { Dispatcher } from "./dispatch.ts";

export interface RelayOptions {
  db: Db;
  dispatcher: Dispatcher;
  logger: Logger;
  intervalMs: number;
  /** Rows written less than this ago are still being handled by their request; leave them alone. */
  graceMs: number;
  batchSize?: number;
  /** How long a claimed row is this relay's alone. */
  leaseMs?: number;
}

export interface Relay {
  /** One pass; returns how many events it enqueued. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

/** Re-enqueues events that were recorded but never reached Redis, so none is lost in between. */
export function createRelay(opts: RelayOptions): Relay {
  const batchSize = opts.batchSize ?? 100;
  const leaseMs = opts.leaseMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  async function runOnce(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await claimUnenqueued(opts.db, {
        before: new Date(Date.now() - opts.graceMs),
        limit: batchSize,
        leaseMs,
      });
      for (const [i, row] of rows.entries()) {
        try {
          await opts.dispatcher.dispatch(row);
          total++;
        } catch (err) {
          // Redis is most likely away: stop this pass and hand back the rows not tried. The failed
          // row keeps its lease, so one row that keeps failing cannot hold the backlog behind it.
          await releaseClaims(
            opts.db,
            rows.slice(i + 1).map((r) => r.id),
          ).catch(() => {});
          if (total > 0) opts.logger.info("relay enqueued recorded events", { count: total });
          throw err;
        }
      }
      if (rows.length < batchSize || stopped) break;
    }
    if (total > 0) opts.logger.info("relay enqueued recorded events", { count: total });
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
