import { type Db, type EventRow, type NewEvent, type RecordResult, recordEvents } from "@switchyard/db";
import type { Dispatcher } from "@switchyard/queue";
import { coalesce } from "./coalesce.ts";

/** Record and enqueue, shared by every request in flight: see coalesce(). */
export interface Pipeline {
  record(event: NewEvent): Promise<RecordResult>;
  dispatch(row: EventRow): Promise<void>;
}

const MAX_BATCH = 256;
// Two stages with this many batches each stay within the default pool of 10 connections.
const MAX_IN_FLIGHT = 4;

export function createPipeline(deps: { db: Db; dispatcher: Dispatcher }): Pipeline {
  return {
    record: coalesce((events: NewEvent[]) => recordEvents(deps.db, events), {
      maxBatch: MAX_BATCH,
      maxInFlight: MAX_IN_FLIGHT,
      isolateFailures: true,
    }),
    dispatch: coalesce(
      async (rows: EventRow[]) => {
        await deps.dispatcher.dispatchMany(rows);
        return rows.map(() => undefined);
      },
      { maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT },
    ),
  };
}
