import type { Logger } from "@switchyard/config";
import { type Db, schema, sql } from "@switchyard/db";

export interface RefusalCounter {
  /** Counts one refused delivery. In memory only: the refusal is answered without waiting on any I/O. */
  count(source: string, reason: string, at: number): void;
  /** Writes what has been counted; a write that fails keeps the counts for the next one. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left. */
  close(): Promise<void>;
}

export interface RefusalCounterOptions {
  db: Db;
  logger: Logger;
  /** How long counts gather before they are written (one statement for all of them). */
  flushMs?: number;
  /** After a failed write, how long until the next try. */
  retryMs?: number;
}

const MINUTE = 60_000;
// Keys are (minute, source, reason) and sources are the configured ones plus `unknown`, so this is
// only reached when Postgres has been away for days; past it new counts are dropped, not the process.
const MAX_KEYS = 10_000;
const SEP = "\u0000";

/**
 * Per-minute counts of refused webhook deliveries, written to `webhook_refusals` in the background.
 * Postgres being slow or away costs a refusal nothing: counts wait in memory and are added on the
 * next write that succeeds (an upsert that adds, so every ingest process contributes its own).
 */
export function createRefusalCounter(opts: RefusalCounterOptions): RefusalCounter {
  const flushMs = opts.flushMs ?? 1_000;
  const retryMs = opts.retryMs ?? 5_000;
  let pending = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let chain: Promise<void> = Promise.resolve();
  let failing = false;
  let dropped = 0;
  let closed = false;

  function add(key: string, n: number): void {
    const had = pending.get(key);
    if (had === undefined && pending.size >= MAX_KEYS) {
      dropped += n;
      return;
    }
    pending.set(key, (had ?? 0) + n);
  }

  function schedule(delayMs: number): void {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      void flush();
    }, delayMs);
    timer.unref();
  }

  async function write(batch: Map<string, number>): Promise<void> {
    const rows = [...batch].map(([key, count]) => {
      const [minute = "0", source, reason] = key.split(SEP);
      return { minute: new Date(Number(minute)).toISOString(), source, reason, count };
    });
    const { webhookRefusals } = schema;
    await opts.db.execute(sql`
      insert into ${webhookRefusals} as r (minute, source, reason, count)
      select u.minute, u.source, u.reason, u.count
      from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb)
        as u(minute timestamptz, source text, reason text, count int)
      on conflict (minute, source, reason) do update set count = r.count + excluded.count`);
  }

  async function flushOnce(): Promise<void> {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      await write(batch);
      if (failing) opts.logger.info("webhook refusal counts written again", { dropped });
      failing = false;
    } catch (err) {
      for (const [key, n] of batch) add(key, n);
      // One line per outage, not one per try.
      if (!failing) opts.logger.warn("webhook refusal counts not written; kept for the next try", { err });
      failing = true;
      schedule(retryMs);
    }
  }

  function flush(): Promise<void> {
    chain = chain.then(flushOnce);
    return chain;
  }

  return {
    count(source, reason, at) {
      const minute = Math.floor(at / MINUTE) * MINUTE;
      add(`${minute}${SEP}${source}${SEP}${reason}`, 1);
      if (!failing) schedule(flushMs);
    },
    flush,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await flush();
    },
  };
}
