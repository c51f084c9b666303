import { and, type Db, eq, gte, lte, schema, sql } from "@switchyard/db";
import { APP_SOURCE, INTERNAL_SOURCE } from "@switchyard/events";
import {
  evaluateKpi,
  KPI_DEFINITIONS,
  KPI_KEYS,
  type Kpi,
  type KpiKey,
  type KpiThresholds,
  percent,
  TICKET_CONTEXT_GRACE_MS,
} from "./kpis.ts";

const { auditLog, crmContacts, deliveries, events, failures, supportNotes, supportTickets, triageResults } = schema;
const int = (expr: ReturnType<typeof sql>) => sql<number>`(${expr})::int`;

function since(key: KpiKey, now: Date): Date {
  const ms = KPI_DEFINITIONS[key].window.ms ?? 0;
  return new Date(now.getTime() - ms);
}

/** Contacts beyond the first per email (trimmed, case-insensitive) over all contacts; one per customer is a unique key. */
async function duplicateContactRate(db: Db): Promise<number | null> {
  const [row] = await db
    .select({
      total: int(sql`count(*)`),
      distinctEmails: int(sql`count(distinct lower(btrim(${crmContacts.email})))`),
      withEmail: int(sql`count(${crmContacts.email})`),
    })
    .from(crmContacts);
  if (!row) return null;
  return percent(row.withEmail - row.distinctEmails, row.total);
}

/**
 * Of the billing-sync events received in the window that reached an outcome, the share billing-sync
 * completed. Failed = a failure row still open, retrying or discarded with no completed delivery;
 * events still in flight count for neither side.
 */
async function paymentSyncSuccessRate(db: Db, now: Date): Promise<number | null> {
  const completed = sql`exists (select 1 from ${deliveries} d where d.event_id = ${events.id}
    and d.consumer = 'billing-sync/' || ${events.type} and d.status = 'completed')`;
  const failed = sql`exists (select 1 from ${failures} f where f.event_id = ${events.id}
    and f.queue = 'billing-sync' and f.status <> 'resolved')`;
  const [row] = await db
    .select({
      ok: int(sql`count(*) filter (where ${completed})`),
      failed: int(sql`count(*) filter (where not ${completed} and ${failed})`),
    })
    .from(events)
    .where(
      and(sql`'billing-sync' = any(${events.queues})`, gte(events.receivedAt, since("payment_sync_success_rate", now))),
    );
  if (!row) return null;
  return percent(row.ok, row.ok + row.failed);
}

/** Tickets of the local desk created in the window (and past the grace period) without a context note. */
async function ticketsMissingContextRate(db: Db, now: Date): Promise<number | null> {
  const hasContext = sql`exists (select 1 from ${supportNotes} n where n.ticket_id = ${supportTickets.id}
    and n.kind = 'context')`;
  const [row] = await db
    .select({ total: int(sql`count(*)`), missing: int(sql`count(*) filter (where not ${hasContext})`) })
    .from(supportTickets)
    .where(
      and(
        gte(supportTickets.createdAt, since("tickets_missing_context_rate", now)),
        lte(supportTickets.createdAt, new Date(now.getTime() - TICKET_CONTEXT_GRACE_MS)),
      ),
    );
  if (!row) return null;
  return percent(row.missing, row.total);
}

/**
 * Webhooks (every source but first-party app events and Switchyard's own) recorded in the window
 * that ingest had to reject. A bad signature writes nothing, so it cannot be counted here.
 */
async function webhookFailureRate(db: Db, now: Date): Promise<number | null> {
  const [row] = await db
    .select({
      total: int(sql`count(*)`),
      rejected: int(sql`count(*) filter (where ${events.status} = 'rejected')`),
    })
    .from(events)
    .where(
      and(
        sql`${events.source} not in (${APP_SOURCE}, ${INTERNAL_SOURCE})`,
        gte(events.receivedAt, since("webhook_failure_rate", now)),
      ),
    );
  if (!row) return null;
  return percent(row.rejected, row.total);
}

/** Operators' customer status overrides in the window, from the audit log. */
async function manualOverridesPerWeek(db: Db, now: Date): Promise<number> {
  const [row] = await db
    .select({ n: int(sql`count(*)`) })
    .from(auditLog)
    .where(
      and(eq(auditLog.action, "customer.override"), gte(auditLog.createdAt, since("manual_overrides_per_week", now))),
    );
  return row?.n ?? 0;
}

/**
 * Of the triage attempts that went to the model in the window, the share that errored: results the
 * rules fallback answered (degraded), plus ai-triage jobs that failed for good with ai_timeout or ai_invalid_output.
 * A result from the rules classifier with nothing degraded never called the model, so it is left out.
 */
async function openaiErrorRate(db: Db, now: Date): Promise<number | null> {
  const from = since("openai_error_rate", now);
  const [results] = await db
    .select({
      attempts: int(sql`count(*) filter (where ${triageResults.classifier} <> 'rules' or ${triageResults.degraded})`),
      degraded: int(sql`count(*) filter (where ${triageResults.degraded})`),
    })
    .from(triageResults)
    .where(gte(triageResults.createdAt, from));
  const [failed] = await db
    .select({ n: int(sql`count(*)`) })
    .from(failures)
    .where(
      and(
        eq(failures.queue, "ai-triage"),
        sql`${failures.reason} in ('ai_timeout', 'ai_invalid_output')`,
        sql`${failures.status} <> 'resolved'`,
        gte(failures.createdAt, from),
      ),
    );
  const errors = (results?.degraded ?? 0) + (failed?.n ?? 0);
  return percent(errors, (results?.attempts ?? 0) + (failed?.n ?? 0));
}

const MEASURES: Record<KpiKey, (db: Db, now: Date) => Promise<number | null>> = {
  duplicate_contact_rate: duplicateContactRate,
  payment_sync_success_rate: paymentSyncSuccessRate,
  tickets_missing_context_rate: ticketsMissingContextRate,
  webhook_failure_rate: webhookFailureRate,
  manual_overrides_per_week: manualOverridesPerWeek,
  openai_error_rate: openaiErrorRate,
};

/** Measures every KPI now and judges it against its threshold; the admin API and console call this. */
export async function loadKpis(db: Db, thresholds: KpiThresholds, now = new Date()): Promise<Kpi[]> {
  return Promise.all(KPI_KEYS.map(async (key) => evaluateKpi(key, await MEASURES[key](db, now), thresholds[key])));
}
