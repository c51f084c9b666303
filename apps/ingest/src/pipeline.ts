import { type Db, type NewEvent, type RecordResult, recordEvents } from "@switchyard/db";
import { type Dispatcher, QueueUnavailableError } from "@switchyard/queue";
import { coalesce } from "./coalesce.ts";

/**
 * A recorded event; `queueError` when it was new and routed but its jobs could not be added. Its
 * row then stays `received` for the relay (nothing is written back on success either).
 */
export type Submitted = RecordResult & { queueError?: QueueUnavailableError };

/** Record and enqueue, shared by every request in flight: see coalesce(). */
export interface Pipeline {
  /** Records the event and, when it is new and routed, resolves once its jobs are in Redis. */
  submit(event: NewEvent): Promise<Submitted>;
}

// Bodies may reach 1 MiB each: this caps one statement's parameter at 64 MiB. Under load a turn
// of the event loop gathers far fewer.
const MAX_BATCH = 64;
// Batches in flight: the inserts stay well within the default pool of 10 connections.
const MAX_IN_FLIGHT = 3;
// A second batch goes out beside one in flight only with this many events for it. At a steady
// 1,000/s a batch was in flight most of the time, and three slots gave nearly every event a round
// trip and a commit of its own; waiting for the one in flight cut ingest's CPU there by about 15%
// and Postgres's by 25%, and brought p99 there from well above the bare baseline's to near it.
// Saturated, batches still overlap: one slot alone cost about 6% of throughput.
const OVERLAP_AT = 8;

/**
 * Postgres refused a value (SQLSTATE class 22, data exception; 23, integrity; 54, a limit such as
 * an index row too large): one row's fault, worth retrying the batch row by row. A lost
 * connection or a timeout is everyone's: retrying each row alone would only multiply the load on
 * a database that is already struggling.
 */
function refusedData(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^(22|23|54)[0-9A-Z]{3}$/.test(code)) return true;
  }
  return false;
}

export function createPipeline(deps: { db: Db; dispatcher: Dispatcher }): Pipeline {
  // One pass per batch: the bulk add goes out as soon as the insert returns, rather than after
  // every request has resumed and asked again, which was one more turn of a busy event loop.
  async function recordAndEnqueue(events: NewEvent[]): Promise<Submitted[]> {
    const results = await recordEvents(deps.db, events);
    const fresh = results.filter((r) => !r.duplicate && r.event.status === "received").map((r) => r.event);
    if (fresh.length === 0) return results;
    try {
      await deps.dispatcher.enqueueMany(fresh);
      return results;
    } catch (err) {
      if (!(err instanceof QueueUnavailableError)) throw err;
      const failed = new Set(fresh);
      return results.map((r) => (failed.has(r.event) ? { ...r, queueError: err } : r));
    }
  }
  return {
    submit: coalesce(recordAndEnqueue, {
      maxBatch: MAX_BATCH,
      maxInFlight: MAX_IN_FLIGHT,
      overlapAt: OVERLAP_AT,
      isolateFailures: refusedData,
    }),
  };
}
