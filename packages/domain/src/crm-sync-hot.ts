// crm-sync's jobs as two statements each: the first starts the delivery and records the signup
// (or reads the customer), the second writes the contact and its timeline line and completes the
// delivery. A new user's signup on the local CRM is one: the first statement does it all. Same effects, locks and dedupe keys as recordSignup and syncContact, which stay as
// the fallback for the rare race these statements leave to them.
import type { CrmAdapter, LifecycleStage } from "@switchyard/connectors";
import type { Db } from "@switchyard/db";
import {
  COMPLETION_COLUMNS,
  type Completion,
  type CompletionRow,
  completeDelivery,
  completionCtes,
  completionOf,
  completionParams,
  type DeliveryRef,
  dateOf,
  execOf,
  START_CTE,
} from "@switchyard/db";
import { syncContact } from "./crm-sync.ts";
import { normalizeEmail } from "./customers.ts";
import { lifecycleStage } from "./lifecycle.ts";
import { buyerStats } from "./order-store.ts";

/** The columns a contact and its lifecycle stage are made of. */
export interface ContactView {
  id: string;
  email: string | null;
  externalId: string | null;
  plan: string | null;
  subscriptionStatus: string | null;
  lastPaymentAt: Date | null;
  lastPaymentFailedAt: Date | null;
  statusOverride: string | null;
  /** buyerStats' paidOrders; a row read without it (recordSignup's) has it read before the stage. */
  paidOrders?: number;
}

/** The ContactView columns of customers row `c`, as execOf reads them. */
const VIEW_COLUMNS = `c.id, c.external_id, c.email, c.plan, c.subscription_status, c.status_override,
      (extract(epoch from c.last_payment_at) * 1000)::float8 as paid_ms,
      (extract(epoch from c.last_payment_failed_at) * 1000)::float8 as failed_ms`;

interface ViewRow {
  id: string | null;
  external_id: string | null;
  email: string | null;
  plan: string | null;
  subscription_status: string | null;
  status_override: string | null;
  paid_ms: number | string | null;
  failed_ms: number | string | null;
  paid_orders: number | null;
}

/** buyerStats' paidOrders for customer row `alias`, so every job's stage has the order job's figure. */
const paidOrdersOf = (alias: string) =>
  `(select count(*)::int from orders o where o.buyer_customer_id = ${alias}.id and o.paid_at is not null) as paid_orders`;

const viewOf = (r: ViewRow): ContactView | undefined =>
  r.id === null
    ? undefined
    : {
        id: r.id,
        email: r.email,
        externalId: r.external_id,
        plan: r.plan,
        subscriptionStatus: r.subscription_status,
        lastPaymentAt: dateOf(r.paid_ms),
        lastPaymentFailedAt: dateOf(r.failed_ms),
        statusOverride: r.status_override,
        paidOrders: Number(r.paid_orders ?? 0),
      };

/**
 * lockCustomer for a signup's keys (app user id, then email), the keys and name filled in as
 * recordSignup does, and the signup's timeline line. Rows are locked as lockCustomer locks them,
 * but never waited for: a statement that waited would hold its delivery's start uncommitted all
 * that time, so a matching row locked by another transaction (billing-sync's, an operator's)
 * leaves the customer to recordSignup, after the start has committed. So does a customer created
 * by another job between this statement's snapshot and its insert.
 */
/** The customer and its timeline line, when `gate` (an SQL condition: the delivery may run) holds. */
const signupCtes = (gate: string) => `matching as (
    select c.id from customers c
    where ${gate} and (c.external_id = $3::text or c.email = $4::text)),
  found as (
    select ${VIEW_COLUMNS}, c.name from customers c
    where ${gate} and (c.external_id = $3::text or c.email = $4::text)
    for update skip locked),
  contended as (select (select count(*) from matching) > (select count(*) from found) as yes),
  m as (
    select f.id from found f where not (select yes from contended)
    order by coalesce(f.external_id = $3::text, false) desc, f.id limit 1),
  p as (
    select f.id,
      case when f.external_id is null and $3::text is not null
        and not exists (select 1 from found o where o.id <> f.id and o.external_id = $3::text) then $3::text end as ext,
      case when f.email is null and $4::text is not null
        and not exists (select 1 from found o where o.id <> f.id and o.email = $4::text) then $4::text end as mail,
      case when coalesce(f.name, '') = '' and coalesce($5::text, '') <> '' then $5::text end as name
    from found f join m on m.id = f.id),
  filled as (
    update customers c set external_id = coalesce(p.ext, c.external_id), email = coalesce(p.mail, c.email),
      name = coalesce(p.name, c.name)
    from p where c.id = p.id and (p.ext is not null or p.mail is not null or p.name is not null)
    returning ${VIEW_COLUMNS}),
  created as (
    insert into customers (external_id, email, name)
    select $3::text, $4::text, nullif($5::text, '')
    where ${gate} and not exists (select 1 from m) and not (select yes from contended)
    on conflict do nothing
    returning ${VIEW_COLUMNS.replaceAll("c.", "")}),
  locked as (
    select f.id, f.external_id, f.email, f.plan, f.subscription_status, f.status_override, f.paid_ms, f.failed_ms
    from found f where f.id = (select id from m) and not exists (select 1 from filled)),
  cust as (select * from filled union all select * from locked union all select * from created),
  t as (
    insert into customer_timeline (customer_id, at, kind, summary, event_id, details, dedupe_key)
    select id, $6::text::timestamptz, 'event', 'user.signed_up', $2::text::uuid, null, 'event:' || $2::text from cust
    on conflict (dedupe_key) do nothing)`;

const START_SIGNUP = `with ${START_CTE},
  ${signupCtes("exists (select 1 from d)")}`;

const SIGNUP_COLUMNS = `(select attempts from d) as attempts, cust.id::text as id, cust.external_id, cust.email, cust.plan,
    cust.subscription_status, cust.status_override, cust.paid_ms, cust.failed_ms, ${paidOrdersOf("cust")}`;

const START_SIGNUP_READ = `${START_SIGNUP}
  select ${SIGNUP_COLUMNS}
  from (select 1) one left join cust on true`;

/** The stage of a customer a signup has just created: no billing facts, no orders, no override. */
const NEW_STAGE = lifecycleStage({
  subscriptionStatus: null,
  lastPaymentAt: null,
  lastPaymentFailedAt: null,
  statusOverride: null,
  paidOrders: 0,
});

/**
 * START_SIGNUP and, for a customer it created, LOCAL_CONTACT's writes and the completion: a new
 * user's signup on the local CRM in one statement. The contact is what syncContact would make of
 * that row (its stage is NEW_STAGE, known before the row exists), and no other contact can exist
 * for a customer id this statement made. A customer found instead gets no contact here: its
 * stage needs its row, and the second statement (writeContact) follows.
 *
 * One statement cannot start a delivery and then complete it (an update does not see a row
 * inserted by the same statement), so the delivery is written last, completed when the contact
 * was and started otherwise, and the effects run on the snapshot's word that it had not
 * completed (`go`). A run of the same job at the same moment writes nothing new (every write is
 * keyed: the customer by its unique keys, the lines by their dedupe keys, the contact by its
 * customer), and its delivery write, waiting on the other's row, finds it completed and returns
 * nothing: that run reports the delivery as done, as START_CTE's would.
 */
const START_SIGNUP_LOCAL = `with prior as (
    select status from deliveries where consumer = $1::text and event_id = $2::text::uuid),
  go as (select not exists (select 1 from prior where status = 'completed') as yes),
  ${signupCtes("(select yes from go)")},
  contact as (
    insert into crm_contacts (customer_id, email, external_id, lifecycle_stage, plan)
    select id, email, external_id, '${NEW_STAGE}', null from created
    on conflict (customer_id) do nothing
    returning id::text as id, customer_id),
  ct as (
    insert into customer_timeline (customer_id, at, kind, summary, event_id, details, dedupe_key)
    select k.customer_id, now(), 'crm_sync', 'contact created in local CRM: ${NEW_STAGE}', $2::text::uuid,
      jsonb_build_object('contactId', k.id, 'stage', '${NEW_STAGE}', 'plan', null), 'crm:' || $2::text || ':' || k.customer_id::text
    from contact k
    on conflict (dedupe_key) do nothing),
  d as (
    insert into deliveries as d (consumer, event_id, status, completed_at, result)
    select $1::text, $2::text::uuid, case when k.id is null then 'started' else 'completed' end,
      case when k.id is not null then now() end,
      case when k.id is not null then jsonb_build_object('contactId', k.id, 'stage', '${NEW_STAGE}', 'created', true) end
    from (select 1) one left join contact k on true
    where (select yes from go)
    on conflict (consumer, event_id) do update
      set attempts = d.attempts + 1, status = excluded.status, completed_at = excluded.completed_at,
        result = excluded.result
      where d.status <> 'completed'
    returning d.attempts, d.status = 'completed' as completed),
  ${completionCtes(7, "null", "exists (select 1 from d where d.completed)", "select 1 from d where d.completed")}
  select ${SIGNUP_COLUMNS}, (select id from contact) as contact_id, ${COMPLETION_COLUMNS}
  from (select 1) one left join cust on true`;

/** The delivery started and the customer read, for a job that only writes its contact. */
const START_READ = `with ${START_CTE}
  select (select attempts from d) as attempts, ${VIEW_COLUMNS.replace("c.id", "c.id::text as id")}, ${paidOrdersOf("c")}
  from (select 1) one left join customers c on exists (select 1 from d) and c.id = $3::text::uuid`;

export interface Started {
  /** undefined: the delivery has completed; nothing may run again. */
  attempt: number | undefined;
  customer: ContactView | undefined;
}

/**
 * START_SIGNUP; with `localContact` (the local CRM, live), START_SIGNUP_LOCAL, whose `written`
 * says the contact was written and the delivery completed in the same statement.
 */
export async function startSignup(
  db: Db,
  ref: DeliveryRef,
  signup: { userId: string; email: string; name?: string | undefined },
  at: Date,
  opts: { localContact?: boolean } = {},
): Promise<Started & { written?: ContactWritten }> {
  const params = [ref.consumer, ref.eventId, signup.userId, normalizeEmail(signup.email), signup.name ?? null];
  if (!opts.localContact) {
    const [row] = await execOf(db)<ViewRow & { attempts: number | null }>(START_SIGNUP_READ, [
      ...params,
      at.toISOString(),
    ]);
    return { attempt: row?.attempts ?? undefined, customer: row ? viewOf(row) : undefined };
  }
  const [row] = await execOf(db)<ViewRow & CompletionRow & { attempts: number | null; contact_id: string | null }>(
    START_SIGNUP_LOCAL,
    [...params, at.toISOString(), ...completionParams(ref)],
  );
  const started = { attempt: row?.attempts ?? undefined, customer: row ? viewOf(row) : undefined };
  if (!row?.contact_id || row.completed === 0) return started;
  const result = { contactId: row.contact_id, stage: NEW_STAGE, created: true };
  return { ...started, written: { result, completion: completionOf(row) } };
}

export async function startCustomerRead(db: Db, ref: DeliveryRef, customerId: string): Promise<Started> {
  const [row] = await execOf(db)<ViewRow & { attempts: number | null }>(START_READ, [
    ref.consumer,
    ref.eventId,
    customerId,
  ]);
  return { attempt: row?.attempts ?? undefined, customer: row ? viewOf(row) : undefined };
}

/**
 * The local CRM's upsert (localCrm's statement), the crm_sync timeline line when it changed
 * something, and the completion. An unchanged contact that another job inserted after this
 * statement's snapshot is not visible to it: nothing is completed then, and the caller falls back.
 */
const LOCAL_CONTACT = `with c as (
    insert into crm_contacts as c (customer_id, email, external_id, lifecycle_stage, plan)
    values ($5::text::uuid, $6::text, $7::text, $8::text, $9::text)
    on conflict (customer_id) do update set email = excluded.email, external_id = excluded.external_id,
      lifecycle_stage = excluded.lifecycle_stage, plan = excluded.plan, writes = c.writes + 1, updated_at = now()
    where (c.email, c.external_id, c.lifecycle_stage, c.plan)
      is distinct from (excluded.email, excluded.external_id, excluded.lifecycle_stage, excluded.plan)
    returning c.id::text as id, c.writes = 1 as created),
  k as (
    select id, created, true as changed from c
    union all
    select x.id::text, false, false from crm_contacts x
    where x.customer_id = $5::text::uuid and not exists (select 1 from c)),
  t as (
    insert into customer_timeline (customer_id, at, kind, summary, event_id, details, dedupe_key)
    select $5::text::uuid, now(), 'crm_sync',
      case when k.created then 'contact created' else 'contact updated' end || ' in local CRM: ' || $8::text
        || coalesce(', ' || nullif($9::text, ''), ''),
      $2::text::uuid, jsonb_build_object('contactId', k.id, 'stage', $8::text, 'plan', $9::text),
      'crm:' || $2::text || ':' || $5::text
    from k where k.changed
    on conflict (dedupe_key) do nothing),
  ${completionCtes(1, "(select jsonb_build_object('contactId', k.id, 'stage', $8::text, 'created', k.created) from k)", "exists (select 1 from k)")}
  select (select id from k) as contact_id, coalesce((select created from k), false) as created, ${COMPLETION_COLUMNS}`;

/** An external CRM's write done: its timeline line when it changed something, and the completion. */
const EXTERNAL_CONTACT = `with t as (
    insert into customer_timeline (customer_id, at, kind, summary, event_id, details, dedupe_key)
    select $5::text::uuid, now(), 'crm_sync', $6::text, $2::text::uuid, $7::text::jsonb,
      'crm:' || $2::text || ':' || $5::text
    where $9::text = 'true'
    on conflict (dedupe_key) do nothing),
  ${completionCtes(1, "$8::text::jsonb")}
  select ${COMPLETION_COLUMNS}`;

export interface ContactWritten {
  result: { contactId: string; stage: LifecycleStage; created: boolean };
  completion: Completion;
}

/**
 * syncContact's write and its delivery's completion in one statement for the local CRM; for
 * another CRM its call, then one statement. When the local CRM's statement could not see the
 * contact (see LOCAL_CONTACT), nothing was written: syncContact and completeDelivery run then.
 */
export async function writeContact(
  db: Db,
  crm: CrmAdapter,
  ref: DeliveryRef,
  customer: ContactView,
  opts: { idempotencyKey: string; signal?: AbortSignal },
): Promise<ContactWritten> {
  const paidOrders = customer.paidOrders ?? (await buyerStats(db, customer.id)).paidOrders;
  const stage = lifecycleStage({ ...customer, paidOrders });
  const exec = execOf(db);
  if (crm.name === "local") {
    const [row] = await exec<CompletionRow & { contact_id: string | null; created: boolean }>(LOCAL_CONTACT, [
      ...completionParams(ref),
      customer.id,
      customer.email,
      customer.externalId,
      stage,
      customer.plan,
    ]);
    if (!row?.contact_id || row.completed === 0) {
      const result = await syncContact(db, crm, customer.id, { eventId: ref.eventId, ...opts });
      const settled = await completeDelivery(db, ref.consumer, ref.eventId, result, {
        queue: ref.queue,
        id: ref.jobId,
      });
      return { result, completion: { settled, settleAfter: false } };
    }
    return { result: { contactId: row.contact_id, stage, created: row.created }, completion: completionOf(row) };
  }
  const written = await crm.upsertContact(
    {
      customerId: customer.id,
      email: customer.email,
      externalId: customer.externalId,
      lifecycleStage: stage,
      plan: customer.plan,
    },
    { idempotencyKey: opts.idempotencyKey, ...(opts.signal ? { signal: opts.signal } : {}) },
  );
  const result = { contactId: written.contactId, stage, created: written.created };
  const summary = `${written.created ? "contact created" : "contact updated"} in ${crm.name} CRM: ${stage}${customer.plan ? `, ${customer.plan}` : ""}`;
  const [row] = await exec<CompletionRow>(EXTERNAL_CONTACT, [
    ...completionParams(ref),
    customer.id,
    summary,
    JSON.stringify({ contactId: written.contactId, stage, plan: customer.plan }),
    JSON.stringify(result),
    String(written.changed),
  ]);
  return { result, completion: completionOf(row) };
}
