// The ledger's steps as pieces of a job's own statements, so that a job is two statements: one
// that starts its delivery (and does the job's first reads and writes), one that completes it
// (with the job's last writes). Fixed texts, put together once at module load.

/** An event this call turned `processed`: when it was received, for the end-to-end latency. */
export interface Settled {
  source: string;
  receivedAt: Date;
}

/** The delivery a job runs under: `<queue>/<job name>` for its event, and the BullMQ job doing it. */
export interface DeliveryRef {
  consumer: string;
  eventId: string;
  queue: string;
  jobId: string;
}

/** What completing a delivery did to its event. */
export interface Completion {
  /** The event this completion turned `processed` (see settleEvent), for the latency metric. */
  settled: Settled | undefined;
  /**
   * Other queues share the event: it is settled by a later statement, once this completion has
   * committed (ledger.ts says why a statement that writes the completion cannot check the others;
   * the runtime's settles.ts which statement that is).
   */
  settleAfter: boolean;
}

/**
 * CTE `d`: the delivery of ($1 consumer, $2 event) started, its attempt number returned; no row
 * when it has completed, and then the job's other CTEs must do nothing (they test `exists (select
 * 1 from d)`). The same statement as startDelivery's.
 */
export const START_CTE = `d as (
    insert into deliveries as d (consumer, event_id) values ($1::text, $2::text::uuid)
    on conflict (consumer, event_id) do update set attempts = d.attempts + 1 where d.status <> 'completed'
    returning d.attempts)`;

/**
 * CTEs `resolved`, `done`, `ev` and `settled`, completing the delivery of `$at` (consumer),
 * `$at+1` (event id), `$at+2` (queue) and `$at+3` (BullMQ job id) with `result` (a jsonb
 * expression), when `gate` (an SQL condition) holds: like completeDelivery, it closes the job's
 * parked failure in the same statement.
 *
 * The event is settled in the same statement only when this delivery is the only one that counts
 * (one queue routed, and the consumer is that queue's job for the event's own type): then the
 * check needs no other transaction's write, so it cannot miss one. Any other event gets
 * `settleAfter`: its check runs after this commit, as ledger.ts requires. A follow-up job (another
 * type on the same event id) counts toward no settle, so it gets neither.
 */
export function completionCtes(at: number, result: string, gate = "true", completed?: string): string {
  const [consumer, eventId, queue, jobId] = [at, at + 1, at + 2, at + 3].map((n) => `$${n}`);
  // `completed`: a query giving a row when the statement's own write completed the delivery, for
  // a statement that writes its delivery row itself (it cannot update a row it inserted).
  const done = completed
    ? completed
    : `update deliveries set status = 'completed', completed_at = now(), result = ${result}
    where consumer = ${consumer}::text and event_id = ${eventId}::text::uuid and (${gate})
    returning 1`;
  return `resolved as (
    update failures set status = 'resolved', resolved_at = now(), updated_at = now()
    where queue = ${queue}::text and job_id = ${jobId}::text and status in ('open', 'retrying') and (${gate})),
  done as (${done}),
  ev as (
    select e.id, e.status as was,
      (cardinality(e.queues) = 1 and ${consumer}::text = e.queues[1] || '/' || e.type) as alone,
      ${consumer}::text in (select q || '/' || e.type from unnest(e.queues) q) as routed
    from events e where e.id = ${eventId}::text::uuid),
  settled as (
    update events e set status = 'processed', reason = null from ev
    where e.id = ev.id and ev.alone and e.status in ('received', 'enqueued', 'failed') and exists (select 1 from done)
    returning ev.was, e.source, (extract(epoch from e.received_at) * 1000)::float8 as received_ms)`;
}

/** The select list that reads what completionCtes did (see completionOf). */
export const COMPLETION_COLUMNS = `(select count(*) from done)::int as completed,
  (select was from settled) as settled_was, (select source from settled) as settled_source,
  (select received_ms from settled) as settled_ms,
  coalesce((select routed and not alone from ev), false) and exists (select 1 from done) as settle_after`;

export interface CompletionRow {
  completed: number;
  settled_was: string | null;
  settled_source: string | null;
  settled_ms: number | string | null;
  settle_after: boolean;
}

export function completionOf(row: CompletionRow | undefined): Completion {
  if (!row) return { settled: undefined, settleAfter: false };
  // Only the call that makes the event processed reports it, and not after a failure (settleEvent).
  const settled =
    row.settled_was !== null && row.settled_was !== "failed" && row.settled_source !== null
      ? { source: row.settled_source, receivedAt: new Date(Number(row.settled_ms)) }
      : undefined;
  return { settled, settleAfter: row.settle_after };
}

/** The completion's parameters, in completionCtes' order. */
export const completionParams = (ref: DeliveryRef) => [ref.consumer, ref.eventId, ref.queue, ref.jobId];
