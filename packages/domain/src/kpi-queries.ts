import { and, type Db, eq, gte, lte, rowsOf, schema, sql } from "@switchyard/db";
import { APP_SOURCE, INTERNAL_SOURCE } from "@switchyard/events";
import { paymentSyncDelayP95, ticketCreationP95, ticketCreationSuccessRate } from "./kpi-latency.ts";
import { onboardingDropoffRate, onboardingTicketRate } from "./kpi-onboarding.ts";
import { ago, int, type Measure, type MeasureContext, share, since } from "./kpi-sql.ts";
import {
  DEFAULT_KPI_SETTINGS,
  evaluateKpi,
  KPI_KEYS,
  type Kpi,
  type KpiKey,
  type KpiSettings,
  TICKET_CONTEXT_GRACE_MS,
} from "./kpis.ts";

const {
  auditLog,
  crmContactMirror,
  crmContacts,
  deliveries,
  events,
  externalNotes,
  failures,
  supportNotes,
  supportTickets,
  triageResults,
  webhookRefusals,
} = schema;

/**
 * Local CRM: contacts beyond the first per email (trimmed, case-insensitive), one per customer being
 * a unique key. HubSpot: contacts beyond the first per customer in the mirror of what crm-sync wrote,
 * since HubSpot keeps one contact per email itself and a duplicate there is a second id for a customer.
 */
const duplicateContactRate: Measure = async (db, { settings }) => {
  if (settings.crm === "hubspot") {
    const [row] = await db
      .select({ total: int(sql`count(*)`), customers: int(sql`count(distinct ${crmContactMirror.customerId})`) })
      .from(crmContactMirror)
      .where(eq(crmContactMirror.provider, "hubspot"));
    const total = row?.total ?? 0;
    return share(
      total - (row?.customers ?? 0),
      total,
      "no HubSpot contact written since Switchyard began mirroring them",
      "HubSpot contacts Switchyard wrote (its local mirror)",
    );
  }
  const [row] = await db
    .select({
      total: int(sql`count(*)`),
      distinctEmails: int(sql`count(distinct lower(btrim(${crmContacts.email})))`),
      withEmail: int(sql`count(${crmContacts.email})`),
    })
    .from(crmContacts);
  return share((row?.withEmail ?? 0) - (row?.distinctEmails ?? 0), row?.total ?? 0, "no contact in the local CRM yet");
};

/**
 * Of the billing-sync events received in the window that reached an outcome, the share billing-sync
 * completed. Failed = a failure row still open, retrying or discarded with no completed delivery;
 * events still in flight count for neither side.
 */
const paymentSyncSuccessRate: Measure = async (db, { now }) => {
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
  const ok = row?.ok ?? 0;
  return share(ok, ok + (row?.failed ?? 0), "no billing-sync event completed or failed in the window");
};

/**
 * Tickets created in the window (and past the grace period) without a context note. The local desk
 * holds its tickets and notes; with Zendesk, the tickets are the ones support-context was handed
 * (Zendesk's own and the app's requests) and the notes are Switchyard's mirror of what it wrote.
 */
const ticketsMissingContextRate: Measure = async (db, { now, settings }) => {
  const from = since("tickets_missing_context_rate", now);
  const until = ago(now, TICKET_CONTEXT_GRACE_MS);
  if (settings.desk === "zendesk") {
    const ref = sql`case when ${events.type} = 'zendesk.ticket.created' then ${events.payload} -> 'detail' ->> 'id'
      else coalesce(${events.payload} -> 'data' ->> 'ticketId', 'app-' || ${events.id}::text) end`;
    const result = await db.execute(sql`
      select count(*)::int as total, count(*) filter (where not exists (select 1 from ${externalNotes} n
        where n.provider = 'zendesk' and n.ticket_ref = t.ref and n.kind = 'context' and n.status = 'written'))::int
        as missing
      from (select distinct ${ref} as ref from ${events}
        where ${events.type} in ('zendesk.ticket.created', 'app.support.requested') and ${events.status} <> 'rejected'
          and ${events.receivedAt} >= ${from.toISOString()}::timestamptz
          and ${events.receivedAt} <= ${until.toISOString()}::timestamptz) t`);
    const [row] = rowsOf<{ total: number; missing: number }>(result);
    return share(
      row?.missing ?? 0,
      row?.total ?? 0,
      "no Zendesk ticket older than 10 minutes handed to support-context in the window",
      "Zendesk notes Switchyard wrote (its local mirror)",
    );
  }
  const hasContext = sql`exists (select 1 from ${supportNotes} n where n.ticket_id = ${supportTickets.id}
    and n.kind = 'context')`;
  const [row] = await db
    .select({ total: int(sql`count(*)`), missing: int(sql`count(*) filter (where not ${hasContext})`) })
    .from(supportTickets)
    .where(and(gte(supportTickets.createdAt, from), lte(supportTickets.createdAt, until)));
  return share(row?.missing ?? 0, row?.total ?? 0, "no local-desk ticket older than 10 minutes in the window");
};

/**
 * Webhook deliveries (every source but first-party app events and Switchyard's own) in the window
 * that ingest refused or rejected: refused ones (signature, timestamp, unknown source, size) leave
 * no row, so ingest counts them per minute in `webhook_refusals`; rejected ones are rows. A HubSpot
 * batch counts each of its events when recorded and once when refused.
 */
const webhookFailureRate: Measure = async (db, { now }) => {
  const from = since("webhook_failure_rate", now);
  const [row] = await db
    .select({
      total: int(sql`count(*)`),
      rejected: int(sql`count(*) filter (where ${events.status} = 'rejected')`),
    })
    .from(events)
    .where(and(sql`${events.source} not in (${APP_SOURCE}, ${INTERNAL_SOURCE})`, gte(events.receivedAt, from)));
  const refused = await db
    .select({
      source: webhookRefusals.source,
      reason: webhookRefusals.reason,
      n: int(sql`sum(${webhookRefusals.count})`),
    })
    .from(webhookRefusals)
    .where(
      and(
        sql`${webhookRefusals.minute} >= date_trunc('minute', ${from.toISOString()}::timestamptz)`,
        lte(webhookRefusals.minute, now),
      ),
    )
    .groupBy(webhookRefusals.source, webhookRefusals.reason)
    .orderBy(sql`3 desc`);
  const refusedTotal = refused.reduce((sum, r) => sum + r.n, 0);
  const rejected = row?.rejected ?? 0;
  const parts = [
    ...refused.map((r) => `${r.source} ${r.reason} ${r.n}`),
    ...(rejected > 0 ? [`recorded as rejected ${rejected}`] : []),
  ];
  return share(
    rejected + refusedTotal,
    (row?.total ?? 0) + refusedTotal,
    "no webhook delivery in the window",
    parts.length > 0 ? `refused or rejected: ${parts.join(", ")}` : undefined,
  );
};

/** Operators' customer status overrides in the window, from the audit log. */
const manualOverridesPerWeek: Measure = async (db, { now }) => {
  const [row] = await db
    .select({ n: int(sql`count(*)`) })
    .from(auditLog)
    .where(
      and(eq(auditLog.action, "customer.override"), gte(auditLog.createdAt, since("manual_overrides_per_week", now))),
    );
  return { value: row?.n ?? 0, sample: null };
};

/**
 * Of the triage attempts that went to the model in the window, the share that errored: results the
 * rules fallback answered (degraded), plus ai-triage jobs that failed for good with ai_timeout or ai_invalid_output.
 * A result from the rules classifier with nothing degraded never called the model, so it is left out.
 */
const openaiErrorRate: Measure = async (db, { now }) => {
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
  return share(
    errors,
    (results?.attempts ?? 0) + (failed?.n ?? 0),
    "no triage went to the model in the window (none configured, or no tickets)",
  );
};

const MEASURES: Record<KpiKey, Measure> = {
  duplicate_contact_rate: duplicateContactRate,
  payment_sync_success_rate: paymentSyncSuccessRate,
  payment_sync_delay_p95: paymentSyncDelayP95,
  tickets_missing_context_rate: ticketsMissingContextRate,
  ticket_creation_success_rate: ticketCreationSuccessRate,
  ticket_creation_p95: ticketCreationP95,
  webhook_failure_rate: webhookFailureRate,
  manual_overrides_per_week: manualOverridesPerWeek,
  openai_error_rate: openaiErrorRate,
  onboarding_dropoff_rate: onboardingDropoffRate,
  onboarding_ticket_rate: onboardingTicketRate,
};

/** Measures every KPI now and judges it against its threshold; the admin API, the console and the checker call this. */
export async function loadKpis(db: Db, settings: KpiSettings = DEFAULT_KPI_SETTINGS, now = new Date()): Promise<Kpi[]> {
  const ctx: MeasureContext = { now, settings };
  return Promise.all(KPI_KEYS.map(async (key) => evaluateKpi(key, await MEASURES[key](db, ctx), settings)));
}
