import { type Db, type EventRow, markEnqueued, noteEnqueueFailure } from "@switchyard/db";
import { type EventEnvelope, isWorkQueue, jobIdFor } from "@switchyard/events";
import { withTimeout } from "./redis.ts";
import type { QueueRegistry } from "./registry.ts";

export class QueueUnavailableError extends Error {
  override readonly name = "QueueUnavailableError";
}

export function envelopeOf(row: EventRow): EventEnvelope {
  return {
    eventId: row.id,
    source: row.source,
    sourceEventId: row.sourceEventId,
    type: row.type,
    receivedAt: row.receivedAt.toISOString(),
    ...(row.requestId ? { requestId: row.requestId } : {}),
    payload: row.payload,
  };
}

export interface Dispatcher {
  /** Enqueues a recorded event to its routed queues, then marks it enqueued. Idempotent. */
  dispatch(row: EventRow): Promise<void>;
}

export function createDispatcher(opts: { db: Db; registry: QueueRegistry; timeoutMs?: number }): Dispatcher {
  const timeoutMs = opts.timeoutMs ?? 2_000;
  return {
    async dispatch(row) {
      const envelope = envelopeOf(row);
      const jobId = jobIdFor(row.id);
      try {
        // The job id is derived from the event id, so a repeat add (relay, retry) is a no-op.
        await withTimeout(
          Promise.all(
            row.queues.filter(isWorkQueue).map((queue) => opts.registry.get(queue).add(row.type, envelope, { jobId })),
          ),
          timeoutMs,
          "enqueue",
        );
      } catch (err) {
        await noteEnqueueFailure(opts.db, row.id).catch(() => {});
        throw new QueueUnavailableError(`could not enqueue event ${row.id}: ${(err as Error).message}`, { cause: err });
      }
      await markEnqueued(opts.db, row.id);
    },
  };
}
