import { type Db, type EventRow, noteEnqueueFailures } from "@switchyard/db";
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
  /** Enqueues a recorded event to its routed queues. Idempotent: the job id is the event's. */
  dispatch(row: EventRow): Promise<void>;
  /** The same for many rows at once: one bulk add per queue. */
  enqueueMany(rows: readonly EventRow[]): Promise<void>;
  /** Of these events, the ids with a routed queue that holds no job for them. */
  withoutJobs(rows: readonly { id: string; queues: readonly string[] }[]): Promise<string[]>;
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
          [...byQueue].map(([name, queued]) => {
            const queue = opts.registry.get(name);
            const jobs = queued.map((row) => ({
              name: row.type,
              data: envelopeOf(row),
              opts: { jobId: jobIdFor(row.id) },
            }));
            // A lone job skips the pipeline addBulk builds and its bookkeeping: at a steady
            // rate most batches hold one event.
            const [job] = jobs;
            return job && jobs.length === 1 ? queue.add(job.name, job.data, job.opts) : queue.addBulk(jobs);
          }),
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
  async function withoutJobs(rows: readonly { id: string; queues: readonly string[] }[]) {
    const checks = rows.flatMap((row) =>
      row.queues
        .filter(isWorkQueue)
        .map((queue) => ({ id: row.id, key: opts.registry.get(queue).toKey(jobIdFor(row.id)) })),
    );
    if (checks.length === 0) return [];
    if (opts.registry.clustered) {
      // On a Cluster each queue's keys share one slot and queues sit in different ones: a
      // multi-key EXISTS (or a pipeline) per queue, never one across slots.
      const byQueue = new Map<string, typeof checks>();
      for (const row of rows) {
        for (const queue of row.queues.filter(isWorkQueue)) {
          const key = opts.registry.get(queue).toKey(jobIdFor(row.id));
          byQueue.set(queue, [...(byQueue.get(queue) ?? []), { id: row.id, key }]);
        }
      }
      const missing = await Promise.all([...byQueue.values()].map((group) => missingAmong(group)));
      return [...new Set(missing.flat())];
    }
    return missingAmong(checks);
  }
  async function missingAmong(checks: readonly { id: string; key: string }[]): Promise<string[]> {
    const redis = opts.registry.connection;
    // One EXISTS over every key counts the jobs present: when all are (the usual case), that is
    // the whole answer. Only a shortfall needs a reply per key to say which.
    const present = await withTimeout(redis.exists(...checks.map(({ key }) => key)), timeoutMs, "job check");
    if (present === checks.length) return [];
    const replies = await withTimeout(
      redis.pipeline(checks.map(({ key }) => ["exists", key])).exec(),
      timeoutMs,
      "job check",
    );
    const missing = new Set<string>();
    for (const [i, check] of checks.entries()) {
      const [err, found] = replies?.[i] ?? [new Error("no reply"), 0];
      if (err) throw err;
      if (found === 0) missing.add(check.id);
    }
    return [...missing];
  }
  return {
    dispatch: (row) => enqueueMany([row]),
    enqueueMany,
    withoutJobs,
  };
}
