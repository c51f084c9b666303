import { type Db, type EventRow, type NewEvent, type RecordResult, recordEvents } from "@switchyard/db";
import type { Dispatcher } from "@switchyard/queue";
import { coalesce } from "./coalesce.ts";

/** Record and enqueue, shared by every request in flight: see coalesce(). */
export interface Pipeline {
  record(event: NewEvent): Promise<RecordResult>;
  /** Resolves once the event's jobs are in Redis (nothing is written back: see the relay). */
  dispatch(row: EventRow): Promise<void>;
}

// Bodies may reach 1 MiB each: this caps one statement's parameter at 64 MiB. Under load a turn
// of the event loop gathers far fewer.
const MAX_BATCH = 64;
// Batches in flight per stage: the inserts stay well within the default pool of 10 connections.
const MAX_IN_FLIGHT = 3;

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
  const enqueue = coalesce(
    async (rows: EventRow[]) => {
      await deps.dispatcher.enqueueMany(rows);
      return rows.map(() => undefined);
    },
    { maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT },
  );
  return {
    record: coalesce((events: NewEvent[]) => recordEvents(deps.db, events), {
      maxBatch: MAX_BATCH,
      maxInFlight: MAX_IN_FLIGHT,
      isolateFailures: refusedData,
    }),
    dispatch: enqueue,
  };
}
