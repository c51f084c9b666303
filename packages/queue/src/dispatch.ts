import { type Db, type EventRow, markEnqueuedMany, noteEnqueueFailures } from "@switchyard/db";
import { type EventEnvelope, isWorkQueue, jobIdFor, type WorkQueue } from "@switchyard/events";
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
  /**
   * Only the Redis half, for many rows at once (one bulk add per queue): the caller marks the rows
   * enqueued (markEnqueuedMany) when it suits it. Until then the relay may add them again, which
   * the job id makes a no-op.
   */
  enqueueMany(rows: readonly EventRow[]): Promise<void>;
}

export function createDispatcher(opts: { db: Db; registry: QueueRegistry; timeoutMs?: number }): Dispatcher {
  const timeoutMs = opts.timeoutMs ?? 2_000;
  async function enqueueMany(rows: readonly EventRow[]) {
    if (rows.length === 0) return;
    const byQueue = new Map<WorkQueue, EventRow[]>();
    for (const row of rows) {
      for (const queue of row.queues.filter(isWorkQueue)) {
        const queued = byQueue.get(queue);
        if (queued) queued.push(row);
        else byQueue.set(queue, [row]);
      }
    }
    try {
      // The job id is derived from the event id, so a repeat add (relay, retry) is a no-op.
      await withTimeout(
        Promise.all(
          [...byQueue].map(([queue, queued]) =>
            opts.registry
              .get(queue)
              .addBulk(
                queued.map((row) => ({ name: row.type, data: envelopeOf(row), opts: { jobId: jobIdFor(row.id) } })),
              ),
          ),
        ),
        timeoutMs,
        "enqueue",
      );
    } catch (err) {
      await noteEnqueueFailures(
        opts.db,
        rows.map((r) => r.id),
      ).catch(() => {});
      const what = rows.length === 1 ? `event ${rows[0]?.id}` : `${rows.length} events`;
      throw new QueueUnavailableError(`could not enqueue ${what}: ${(err as Error).message}`, { cause: err });
    }
  }
  return {
    async dispatch(row) {
      await enqueueMany([row]);
      await markEnqueuedMany(opts.db, [row.id]);
    },
    enqueueMany,
  };
}
