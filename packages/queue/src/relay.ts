import type { Logger } from "@switchyard/config";
import { type Db, withUnenqueued } from "@switchyard/db";
import type { Dispatcher } from "./dispatch.ts";

export interface RelayOptions {
  db: Db;
  dispatcher: Dispatcher;
  logger: Logger;
  intervalMs: number;
  /** Rows younger than this are still being handled by their request; leave them alone. */
  graceMs: number;
  batchSize?: number;
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
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  async function runOnce(): Promise<number> {
    let total = 0;
    let failure: unknown;
    for (;;) {
      const [sent, claimed] = await withUnenqueued(
        opts.db,
        { before: new Date(Date.now() - opts.graceMs), limit: batchSize },
        async (rows, tx) => {
          let ok = 0;
          for (const row of rows) {
            try {
              await opts.dispatcher.dispatch(row, tx);
              ok++;
            } catch (err) {
              // Keep what was enqueued so far committed; Redis is likely away, so stop here.
              failure = err;
              break;
            }
          }
          return [ok, rows.length] as const;
        },
      );
      total += sent;
      if (failure || claimed < batchSize || stopped) break;
    }
    if (total > 0) opts.logger.info("relay enqueued recorded events", { count: total });
    if (failure) throw failure;
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
