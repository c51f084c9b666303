import { jobIdFor } from "@switchyard/events";
import { type SQL, sql } from "drizzle-orm";
import { type Db, rowsOf } from "./client.ts";
import { execOf } from "./hot-sql.ts";
import {
  COMPLETION_COLUMNS,
  type Completion,
  type CompletionRow,
  completionCtes,
  completionOf,
  type DeliveryRef,
  type Settled,
} from "./ledger-hot.ts";
import { deliveries, events, failures } from "./schema.ts";

export type { Settled };

/**
 * Records an attempt and returns its number (1 for the first run, 2+ after a crash or retry), in
 * one round trip; `undefined` when (consumer, event) has completed: its effects must not run again.
 * Plain SQL: the worker runs it for every job, and drizzle's builder cost more than the statement.
 */
export async function startDelivery(db: Db, consumer: string, eventId: string): Promise<number | undefined> {
  const result = await db.execute(sql`
    insert into ${deliveries} as d (consumer, event_id) values (${consumer}, ${eventId})
    on conflict (consumer, event_id) do update set attempts = d.attempts + 1 where d.status <> 'completed'
    returning d.attempts`);
  return rowsOf<{ attempts: number }>(result)[0]?.attempts;
}

/**
 * Marks (consumer, event) completed, then settles the event. Consumers of one event complete
 * concurrently; because each completion commits before its own settle check reads, whichever
 * check runs last sees every completion, so the event is settled (inside one transaction each
 * check would miss the other's uncommitted completion). An event whose one routed queue is this
 * consumer's is the exception: no other completion counts, so the same statement settles it
 * (ledger-hot.ts). A crash in between leaves the job unfinished in BullMQ: its re-run finds the
 * delivery completed, and the worker settles the event then.
 *
 * `job` names the BullMQ job doing it: a failure parked for that job (a re-driven one that now
 * succeeds) is resolved by the same statement, rather than by a round trip of its own per job.
 */
export async function completeDelivery(
  db: Db,
  consumer: string,
  eventId: string,
  result: unknown,
  job?: { queue: string; id: string },
): Promise<Settled | undefined> {
  const completion = await completeOwnedDelivery(
    db,
    { consumer, eventId, queue: job?.queue ?? null, jobId: job?.id ?? null },
    result,
  );
  return completion.settleAfter ? await settleEvent(db, eventId) : completion.settled;
}

/**
 * completeDelivery's statement for a job that owns its ledger (a path that could not complete in
 * its own last write): what it did, the settle after it left to the runtime (`settleAfter`).
 */
export async function completeOwnedDelivery(
  db: Db,
  ref: Omit<DeliveryRef, "queue" | "jobId"> & { queue: string | null; jobId: string | null },
  result: unknown,
): Promise<Completion> {
  const json = result === undefined || result === null ? null : JSON.stringify(result);
  const [row] = await execOf(db)<CompletionRow>(COMPLETE, [ref.consumer, ref.eventId, ref.queue, ref.jobId, json]);
  return completionOf(row);
}

const COMPLETE = `with ${completionCtes(1, "$5::text::jsonb")} select ${COMPLETION_COLUMNS}`;

/**
 * Queue `q` has completed event `e` (aliases of the statement it goes into): the worker records
 * its delivery under the consumer `<queue>/<type>`.
 */
export const queueCompleted = sql`exists (select 1 from ${deliveries} d
  where d.event_id = e.id and d.consumer = q || '/' || e.type and d.status = 'completed')`;

/**
 * Failures of the jobs routed for event `eventId` (their id is `jobIdFor(event id)`) that an
 * operator has not closed (open, retrying or discarded): those jobs are parked, neither pending
 * nor the relay's to add again. Only they count: a replay or a follow-up job of the same event has
 * an id of its own.
 */
const routedJobFailures = (eventId: SQL) => sql`from ${failures} f
  where f.job_id = ${jobIdFor("")} || ${eventId}::text and f.status in ('open', 'retrying', 'discarded')`;

/** The job routed for event `eventId` to `queue` is parked (see routedJobFailures). */
export const routedJobParked = (eventId: SQL, queue: SQL) =>
  sql`exists (select 1 ${routedJobFailures(eventId)} and f.queue = ${queue})`;

/** The statuses an event can still be settled from (re-checked by the update, should it race). */
const SETTLEABLE = sql`('received', 'enqueued', 'failed')`;

/**
 * An event is settled once nothing routed to it is still pending: `processed` when every queue
 * has completed it, `failed` (with the reason of its routed jobs' newest parked failure) when the
 * others are done or parked too. A re-driven job that then completes moves a `failed` event on to
 * `processed`; one that fails again brings its new reason. Every completion and every parked
 * failure calls this after its own write has committed, so whichever call runs last sees them all.
 * Idempotent, so a skipped re-delivery can call it again. Only the call that makes the event
 * `processed` gets it back, and not after a failure: that time includes an operator's.
 */
export async function settleEvent(db: Db, eventId: string): Promise<Settled | undefined> {
  return (await settleEvents(db, [eventId])).get(eventId);
}

/**
 * settleEvent for several events in one statement (ids distinct, in any order): the events each
 * call made `processed`, by id. Each check reads after its own completion or failure has
 * committed, as settleEvent's does, so a batch of them is as correct as one by one.
 */
export async function settleEvents(db: Db, eventIds: readonly string[]): Promise<Map<string, Settled>> {
  // `done or parked` stops at `done`: a completion never reads the failures table.
  const ids = [...eventIds].sort().join(",");
  const result = await db.execute(sql`
    with per_queue as (
      select e.id, e.status, q, ${queueCompleted} as done
      from ${events} e, unnest(e.queues) q
      where e.id = any(string_to_array(${ids}::text, ',')::uuid[]) and e.status in ${SETTLEABLE}),
    outcome as (
      select p.id, p.status as was, bool_and(p.done) as done,
        bool_and(p.done or ${routedJobParked(sql`p.id`, sql`p.q`)}) as settled
      from per_queue p group by p.id, p.status),
    next as (
      select o.id, o.was, o.done, case when o.done then null else (select f.reason
          ${routedJobFailures(sql`o.id`)} and f.event_id = o.id order by f.updated_at desc limit 1) end as reason
      from outcome o where o.settled)
    update ${events} e set status = case when n.done then 'processed' else 'failed' end, reason = n.reason
    from next n
    where e.id = n.id and e.status in ${SETTLEABLE}
      and (n.done or e.status <> 'failed' or e.reason is distinct from n.reason)
    returning e.id::text as id, e.status, n.was, e.source, (extract(epoch from e.received_at) * 1000)::float8 as received_ms`);
  const settled = new Map<string, Settled>();
  for (const row of rowsOf<{ id: string; status: string; was: string; source: string; received_ms: number | string }>(
    result,
  )) {
    if (row.status === "processed" && row.was !== "failed") {
      settled.set(row.id, { source: row.source, receivedAt: new Date(Number(row.received_ms)) });
    }
  }
  return settled;
}
