import { type Db, rowsOf, schema, sql } from "@switchyard/db";
import { type Measure, share, since } from "./kpi-sql.ts";
import type { Measurement } from "./kpis.ts";

const { deliveries, events, failures } = schema;
type Fragment = ReturnType<typeof sql>;

interface Work {
  queue: string;
  from: Date;
  now: Date;
  /** Which of that queue's events count. */
  where: Fragment;
}

const ts = (d: Date) => sql`${d.toISOString()}::timestamptz`;

/** The queue's delivery of the event, when it completed. */
const completion = (queue: string) => sql`left join ${deliveries} d on d.event_id = e.id
  and d.consumer = ${queue}::text || '/' || e.type and d.status = 'completed'`;
/** A failure parked for the event on that queue that nobody has closed. */
const parked = (queue: string) => sql`exists (select 1 from ${failures} f where f.event_id = e.id
  and f.queue = ${queue}::text and f.status <> 'resolved')`;

/**
 * p95 in ms of receipt to completion for a queue's events received in the window. One still in
 * flight counts as late as it already is (a stalled worker shows here, not only once it catches
 * up); one parked as a failure is left out, its success-rate KPI has it.
 */
async function delayP95(db: Db, w: Work, empty: string): Promise<Measurement> {
  const result = await db.execute(sql`
    select count(*)::int as n, percentile_cont(0.95) within group (order by
      extract(epoch from (coalesce(d.completed_at, ${ts(w.now)}) - e.received_at)) * 1000)::float8 as p95
    from ${events} e ${completion(w.queue)}
    where ${w.queue}::text = any(e.queues) and e.received_at >= ${ts(w.from)} and e.received_at <= ${ts(w.now)}
      and ${w.where} and (d.event_id is not null or not ${parked(w.queue)})`);
  const [row] = rowsOf<{ n: number; p95: number | null }>(result);
  const n = row?.n ?? 0;
  return n > 0 && row?.p95 !== null && row?.p95 !== undefined
    ? { value: Math.round(row.p95), sample: n }
    : { value: null, sample: n, empty };
}

/** Of a queue's events in the window that reached an outcome, the share it completed (in flight: neither). */
async function completedShare(db: Db, w: Work, empty: string): Promise<Measurement> {
  const result = await db.execute(sql`
    select count(*) filter (where d.event_id is not null)::int as ok,
      count(*) filter (where d.event_id is null and ${parked(w.queue)})::int as failed
    from ${events} e ${completion(w.queue)}
    where ${w.queue}::text = any(e.queues) and e.received_at >= ${ts(w.from)} and e.received_at <= ${ts(w.now)}
      and ${w.where}`);
  const [row] = rowsOf<{ ok: number; failed: number }>(result);
  const ok = row?.ok ?? 0;
  return share(ok, ok + (row?.failed ?? 0), empty);
}

/** Receipt of a Stripe event to billing-sync having applied it: what "synced within 2 s" means. */
export const paymentSyncDelayP95: Measure = (db, { now }) =>
  delayP95(
    db,
    { queue: "billing-sync", from: since("payment_sync_delay_p95", now), now, where: sql`true` },
    "no billing-sync event in the window",
  );

// Tickets Switchyard opens: the app's support requests (support-context opens the ticket, then adds
// its context). Zendesk's own tickets are opened by Zendesk, so they are not counted here.
const SUPPORT_REQUEST = sql`e.type = 'app.support.requested' and e.status <> 'rejected'`;
const NO_REQUESTS = "no support request from the app in the window (tickets Zendesk opens itself are not counted)";

export const ticketCreationSuccessRate: Measure = (db, { now }) =>
  completedShare(
    db,
    { queue: "support-context", from: since("ticket_creation_success_rate", now), now, where: SUPPORT_REQUEST },
    NO_REQUESTS,
  );

/** Receipt of the app's request to its ticket being open in the desk with its context note. */
export const ticketCreationP95: Measure = (db, { now }) =>
  delayP95(
    db,
    { queue: "support-context", from: since("ticket_creation_p95", now), now, where: SUPPORT_REQUEST },
    NO_REQUESTS,
  );
