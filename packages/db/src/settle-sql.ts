// The settle check (ledger.ts's settleEvents) as fixed SQL text: a statement of its own, or CTEs
// another statement carries (Carry). Either way the check reads with the snapshot of a statement
// that began after the completions and failures it settles for had committed, which is all the
// ledger's write-skew reasoning asks of it.
import { jobIdFor } from "@switchyard/events";
import type { Settled } from "./ledger-hot.ts";

/** The statuses an event can still be settled from (re-checked by the update, should it race). */
const SETTLEABLE = `('received', 'enqueued', 'failed')`;

/**
 * Queue `q` has completed event `e` (aliases of the statement it goes into): the worker records
 * its delivery under the consumer `<queue>/<type>`.
 */
export const QUEUE_COMPLETED = `exists (select 1 from deliveries d
  where d.event_id = e.id and d.consumer = q || '/' || e.type and d.status = 'completed')`;

/**
 * Failures of the jobs routed for the event whose id is the SQL expression `eventId` (their id is
 * `jobIdFor(event id)`) that an operator has not closed (open, retrying or discarded): those jobs
 * are parked, neither pending nor the relay's to add again. Only they count: a replay or a
 * follow-up job of the same event has an id of its own.
 */
const routedJobFailures = (eventId: string) => `from failures f
  where f.job_id = '${jobIdFor("")}' || ${eventId}::text and f.status in ('open', 'retrying', 'discarded')`;

/** The job routed for event `eventId` to `queue` (SQL expressions) is parked (see routedJobFailures). */
export const routedJobParked = (eventId: string, queue: string) =>
  `exists (select 1 ${routedJobFailures(eventId)} and f.queue = ${queue})`;

/**
 * CTEs `s_per_queue` … `s_settled` settling the events whose ids are `ids` (an SQL text
 * expression: comma-separated ids, or null for none): `processed` when every queue has completed
 * it, `failed` (with the reason of its routed jobs' newest parked failure) when the others are done
 * or parked too. `done or parked` stops at `done`: a completion never reads the failures table.
 */
export function settleCtes(ids: string): string {
  return `s_per_queue as (
    select e.id, e.status, q, ${QUEUE_COMPLETED} as done
    from events e, unnest(e.queues) q
    where e.id = any(string_to_array(${ids}::text, ',')::uuid[]) and e.status in ${SETTLEABLE}),
  s_outcome as (
    select p.id, p.status as was, bool_and(p.done) as done,
      bool_and(p.done or ${routedJobParked("p.id", "p.q")}) as settled
    from s_per_queue p group by p.id, p.status),
  s_next as (
    select o.id, o.was, o.done, case when o.done then null else (select f.reason
        ${routedJobFailures("o.id")} and f.event_id = o.id order by f.updated_at desc limit 1) end as reason
    from s_outcome o where o.settled),
  s_settled as (
    update events e set status = case when n.done then 'processed' else 'failed' end, reason = n.reason
    from s_next n
    where e.id = n.id and e.status in ${SETTLEABLE}
      and (n.done or e.status <> 'failed' or e.reason is distinct from n.reason)
    returning e.id::text as id, e.status, n.was, e.source, (extract(epoch from e.received_at) * 1000)::float8 as received_ms)`;
}

/** A row of `s_settled`. */
export interface SettledRow {
  id: string;
  status: string;
  was: string;
  source: string;
  received_ms: number | string;
}

/** settleCtes' rows as one text column, `carried`, for a statement that carries them. */
export const CARRIED_COLUMN = `(select coalesce(json_agg(s)::text, '[]') from s_settled s) as carried`;

/**
 * The events the check made `processed`, by id. Only those: an event made `failed`, or moved
 * from `failed` on to `processed` (that time includes an operator's), reports nothing.
 */
export function settledOf(rows: readonly SettledRow[]): Map<string, Settled> {
  const settled = new Map<string, Settled>();
  for (const row of rows) {
    if (row.status === "processed" && row.was !== "failed") {
      settled.set(row.id, { source: row.source, receivedAt: new Date(Number(row.received_ms)) });
    }
  }
  return settled;
}

/**
 * Settles the runtime hands to a job's statement to carry (settleCtes on `ids`, CARRIED_COLUMN
 * read back), so that a job of an event shared with other queues needs no statement of its own
 * for its settle. Take one right before sending the statement: every id in it was asked for after
 * its completion had committed.
 */
export interface Carry {
  /** The ids to carry, comma-separated; null when none waits (the CTEs then do nothing). */
  readonly ids: string | null;
  /** The statement ran: its `carried` column. */
  done(carried: string | null | undefined): void;
  /** The statement failed, or was never sent: the settles are sent by themselves. */
  failed(): void;
}

/** A Carry of nothing, for a statement sent where no runtime waits on settles. */
export const NO_CARRY: Carry = { ids: null, done() {}, failed() {} };

/**
 * Sends a statement that carries `carry` (its ids as the statement's parameter) and answers the
 * carry either way: with the first row's `carried` column, or, should it fail, by handing the
 * settles back to be sent by themselves.
 */
export async function sendCarrying<T extends { carried?: string | null }>(
  carry: Carry,
  send: (ids: string | null) => Promise<T[]>,
): Promise<T[]> {
  let rows: T[];
  try {
    rows = await send(carry.ids);
  } catch (err) {
    carry.failed();
    throw err;
  }
  carry.done(rows[0]?.carried);
  return rows;
}
