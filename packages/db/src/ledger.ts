import { sql } from "drizzle-orm";
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
import { deliveries } from "./schema.ts";
import {
  QUEUE_COMPLETED,
  routedJobParked as routedJobParkedText,
  type SettledRow,
  settleCtes,
  settledOf,
} from "./settle-sql.ts";

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

/** QUEUE_COMPLETED (settle-sql.ts), for drizzle statements. */
export const queueCompleted = sql.raw(QUEUE_COMPLETED);

/** routedJobParked (settle-sql.ts) of two SQL expressions, for drizzle statements. */
export const routedJobParked = (eventId: string, queue: string) => sql.raw(routedJobParkedText(eventId, queue));

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
  const rows = await execOf(db)<SettledRow>(SETTLE, [[...eventIds].sort().join(",")]);
  return settledOf(rows);
}

const SETTLE = `with ${settleCtes("$1")} select * from s_settled`;
