import { JOB_CATALOG, WORK_QUEUES } from "@switchyard/events";
import { and, eq, inArray, sql } from "drizzle-orm";
import { type Db, rowsOf } from "./client.ts";
import { eventKey } from "./events-repo.ts";
import { deliveries, type EventStatus, events, failures } from "./schema.ts";

/**
 * Where one consumer's work on one event stands, read from the ledger and the failures table:
 * `completed`, `failed` (parked, with its reason), `retrying` (an operator re-drove it),
 * `pending` (waiting or between attempts) or `discarded` (an operator closed it).
 */
export type JobState = "completed" | "failed" | "retrying" | "pending" | "discarded";

export interface JobStatus {
  eventId: string;
  queue: string;
  /** The job's name: the event's type for a routed job, another for a follow-up (`switchyard.customer.changed`). */
  job: string;
  state: JobState;
  reason: string | null;
  attempts: number;
  /** When it reached this state: completed, first parked, re-driven, or the event's receipt while pending. */
  since: Date;
}

export interface EventRecord {
  id: string;
  source: string;
  type: string;
  status: EventStatus;
  reason: string | null;
  queues: string[];
  receivedAt: Date;
  rejected: boolean;
}

const RECORD = {
  id: events.id,
  source: events.source,
  type: events.type,
  status: events.status,
  reason: events.reason,
  queues: events.queues,
  receivedAt: events.receivedAt,
  rejected: events.rejected,
};

/** `<queue>/<job name>` for every job the catalog has: the ledger's consumers. */
const CONSUMERS = WORK_QUEUES.flatMap((q) => Object.keys(JOB_CATALOG[q].jobs).map((job) => `${q}/${job}`));

/**
 * The ledger's rows for these events, each found by its primary key (consumer, event): both
 * columns are index conditions (`= any(array(...))`), so the plan probes each pair of a catalog
 * consumer and an event; a join against the lists was planned as a scan of every delivery.
 */
async function ledgerRows(db: Db, ids: readonly string[]) {
  const result = await db.execute(sql`
    select d.event_id::text as event_id, d.consumer, d.status, d.attempts,
      (extract(epoch from d.created_at) * 1000)::float8 as created_ms,
      (extract(epoch from d.completed_at) * 1000)::float8 as completed_ms
    from ${deliveries} d
    where d.consumer = any(array(select jsonb_array_elements_text(${JSON.stringify(CONSUMERS)}::text::jsonb)))
      and d.event_id = any(array(select jsonb_array_elements_text(${JSON.stringify(ids)}::text::jsonb)::uuid))`);
  return rowsOf<{
    event_id: string;
    consumer: string;
    status: string;
    attempts: number;
    created_ms: number | string;
    completed_ms: number | string | null;
  }>(result).map((r) => ({
    eventId: r.event_id,
    consumer: r.consumer,
    status: r.status,
    attempts: Number(r.attempts),
    createdAt: new Date(Number(r.created_ms)),
    completedAt: r.completed_ms === null ? null : new Date(Number(r.completed_ms)),
  }));
}

/** Each event's jobs: one per routed queue, plus any follow-up job the ledger or the failures know of. */
export async function jobStates(db: Db, records: readonly EventRecord[]): Promise<JobStatus[]> {
  if (records.length === 0) return [];
  const ids = records.map((r) => r.id);
  const [ledger, parked] = await Promise.all([
    ledgerRows(db, ids),
    db
      .select({
        eventId: failures.eventId,
        queue: failures.queue,
        jobName: failures.jobName,
        status: failures.status,
        reason: failures.reason,
        attempts: failures.attempts,
        createdAt: failures.createdAt,
        updatedAt: failures.updatedAt,
      })
      .from(failures)
      .where(inArray(failures.eventId, ids)),
  ]);
  const jobs = new Map<string, JobStatus>();
  const keyOf = (eventId: string, consumer: string) => `${eventId} ${consumer}`;
  const byId = new Map(records.map((r) => [r.id, r]));
  for (const r of records) {
    for (const queue of r.queues) {
      jobs.set(keyOf(r.id, `${queue}/${r.type}`), {
        eventId: r.id,
        queue,
        job: r.type,
        state: "pending",
        reason: null,
        attempts: 0,
        since: r.receivedAt,
      });
    }
  }
  for (const d of ledger) {
    const [queue = "", ...rest] = d.consumer.split("/");
    const key = keyOf(d.eventId, d.consumer);
    const job = jobs.get(key) ?? {
      eventId: d.eventId,
      queue,
      job: rest.join("/"),
      state: "pending" as JobState,
      reason: null,
      attempts: 0,
      since: byId.get(d.eventId)?.receivedAt ?? d.createdAt,
    };
    job.attempts = d.attempts;
    if (d.status === "completed") {
      job.state = "completed";
      job.since = d.completedAt ?? d.createdAt;
    }
    jobs.set(key, job);
  }
  for (const f of parked) {
    if (!f.eventId) continue;
    const key = keyOf(f.eventId, `${f.queue}/${f.jobName}`);
    const job = jobs.get(key) ?? {
      eventId: f.eventId,
      queue: f.queue,
      job: f.jobName,
      state: "pending" as JobState,
      reason: null,
      attempts: 0,
      since: f.createdAt,
    };
    // A resolved failure is a job that succeeded after all: the ledger already says completed.
    if (f.status === "open") Object.assign(job, { state: "failed", reason: f.reason, since: f.createdAt });
    if (f.status === "retrying") Object.assign(job, { state: "retrying", reason: f.reason, since: f.updatedAt });
    if (f.status === "discarded") Object.assign(job, { state: "discarded", reason: f.reason, since: f.updatedAt });
    job.attempts = Math.max(job.attempts, f.attempts);
    jobs.set(key, job);
  }
  return [...jobs.values()];
}

/** An event a first-party app sent, by Switchyard's id or by the Idempotency-Key it was sent with. */
export async function findAppEvent(
  db: Db,
  source: string,
  ref: { id: string } | { idempotencyKey: string },
): Promise<EventRecord | undefined> {
  if ("id" in ref) {
    const [row] = await db
      .select(RECORD)
      .from(events)
      .where(and(eq(events.id, ref.id), eq(events.source, source)));
    return row;
  }
  // The accepted event under that key if there is one, else what a malformed body left under it.
  const rows = await db
    .select(RECORD)
    .from(events)
    .where(
      and(
        eq(events.source, source),
        sql`(${events.sourceEventId} = ${eventKey(ref.idempotencyKey)} and not ${events.rejected}
          or ${events.sourceEventId} = ${eventKey(`invalid-${ref.idempotencyKey}`)} and ${events.rejected})`,
      ),
    );
  return rows.find((r) => !r.rejected) ?? rows[0];
}

export { RECORD as EVENT_RECORD_COLUMNS };
