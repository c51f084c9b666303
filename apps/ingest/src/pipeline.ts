import type { Logger } from "@switchyard/config";
import {
  type Db,
  type EventRow,
  markEnqueuedMany,
  type NewEvent,
  type RecordResult,
  recordEvents,
} from "@switchyard/db";
import type { Dispatcher } from "@switchyard/queue";
import { coalesce } from "./coalesce.ts";

/** Record and enqueue, shared by every request in flight: see coalesce(). */
export interface Pipeline {
  record(event: NewEvent): Promise<RecordResult>;
  /** Resolves once the event's jobs are in Redis; its row is marked `enqueued` soon after. */
  dispatch(row: EventRow): Promise<void>;
  /** Waits for the `enqueued` marks still being written (shutdown). */
  idle(): Promise<void>;
}

const MAX_BATCH = 256;
// Three stages with this many batches each stay within the default pool of 10 connections.
const MAX_IN_FLIGHT = 3;

export function createPipeline(deps: { db: Db; dispatcher: Dispatcher; logger: Logger }): Pipeline {
  const marking = new Set<Promise<void>>();
  const mark = coalesce(
    async (ids: string[]) => {
      await markEnqueuedMany(deps.db, ids);
      return ids.map(() => undefined);
    },
    { maxBatch: MAX_BATCH, maxInFlight: MAX_IN_FLIGHT },
  );
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
      isolateFailures: true,
    }),
    async dispatch(row) {
      await enqueue(row);
      // Off the request path: the jobs are safe in Redis, and a mark that never lands only lets
      // the relay add them again, which their job id turns into a no-op.
      const marked = mark(row.id)
        .catch((err: unknown) => deps.logger.warn("could not mark an event enqueued", { eventId: row.id, err }))
        .finally(() => marking.delete(marked));
      marking.add(marked);
    },
    async idle() {
      await Promise.all([...marking]);
    },
  };
}
