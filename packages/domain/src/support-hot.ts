// support-context's app support requests on the embedded desk as two statements: the first starts
// the delivery, opens and tracks the ticket and reads the context's facts; the second writes the
// note, its key and its timeline line, reads the facts again and completes the delivery only if
// they are unchanged. attachContext's effects, keys and rounds, which stay as the fallback.
import type { SupportAdapter } from "@switchyard/connectors";
import {
  CARRIED_COLUMN,
  type Carry,
  COMPLETION_COLUMNS,
  type Completion,
  type CompletionRow,
  completeOwnedDelivery,
  completionCtes,
  completionOf,
  completionParams,
  type Db,
  type DeliveryRef,
  execOf,
  NO_CARRY,
  rowFromJson,
  START_CTE,
  schema,
  sendCarrying,
  settleCtes,
  startDelivery,
} from "@switchyard/db";
import { normalizeEmail } from "./customers.ts";
import {
  type ContextFacts,
  type ContextWriteOpts,
  contextKey,
  contextOf,
  renderContext,
  type SupportContext,
  writeCurrentContext,
} from "./support-context.ts";
import { customerForTicket, type TicketRef } from "./tickets.ts";

/**
 * customerForTicket's customer (by app user id, else by email: `$u`, `$m`) and the rest of
 * buildContext's facts, as one jsonb value `f`. The same text in both statements, so equal facts
 * give equal text: the second statement compares its md5 with the first's.
 */
const facts = (u: string, m: string) => `cust as (
    select c.* from (
      select 1 as pri, x.* from customers x where x.external_id = ${u}::text
      union all
      select 2, x.* from customers x where x.email = ${m}::text) c
    order by c.pri limit 1),
  facts as (
    select jsonb_build_object(
      'customer', (select to_jsonb(c) - 'pri' from cust c),
      'login', (select jsonb_build_object('data', e.payload -> 'data', 'at', e.received_at) from events e
        where e.type = 'app.user.logged_in' and e.payload -> 'data' ->> 'userId' = (select external_id from cust)
        order by e.received_at desc limit 1),
      'failed', (select jsonb_build_object('data', e.payload -> 'data', 'at', e.received_at) from events e
        where e.type = 'app.automation.failed' and e.payload -> 'data' ->> 'userId' = (select external_id from cust)
        order by e.received_at desc limit 1),
      'order', (select to_jsonb(o) from orders o where o.buyer_customer_id = (select id from cust)
        order by coalesce(o.paid_at, o.created_at) desc, o.id desc limit 1),
      'account', (select to_jsonb(a) from connect_accounts a where a.customer_id = (select id from cust) limit 1)
    ) as f)`;

/**
 * The delivery's start; the ticket opened in the desk and tracked for its customer (ensureTicket
 * and trackTicket, before the facts are read, as attachContext does); the facts. Tracking commits
 * here, before the note: a customer change committed after this statement finds the ticket and
 * corrects it, and one committed before the second statement's snapshot is seen by its re-read.
 */
const START_TICKET = `with ${START_CTE},
  ${facts("$3", "$4")},
  ticket as (
    insert into support_tickets (external_id, requester_email, subject, customer_id)
    select $5::text, $6::text, $7::text, (select id from cust) where exists (select 1 from d)
    on conflict (external_id) do nothing),
  tracked as (
    insert into ticket_contexts as t (desk, ticket_ref, customer_id)
    select 'local', $5::text, (select id from cust) where exists (select 1 from d)
    on conflict (desk, ticket_ref) do update
      set customer_id = coalesce(excluded.customer_id, t.customer_id), updated_at = now()),
  ${settleCtes("$8")}
  select (select attempts from d) as attempts, (select f from facts)::text as facts,
    md5((select f from facts)::text) as fingerprint, ${CARRIED_COLUMN}`;

/**
 * addInternalNote's insert (or the note already there under its key), setFactsKey, the
 * support_note timeline line of a note this wrote, and the completion, gated on the facts read
 * again (with this statement's snapshot) being those the note was written from.
 */
const WRITE_NOTE = `with tk as (select id from support_tickets where external_id = $5::text),
  ins as (
    insert into support_notes (ticket_id, idempotency_key, kind, body, public)
    select id, $6::text, 'context', $7::text, false from tk
    on conflict (ticket_id, idempotency_key) do nothing
    returning id),
  note as (
    select id::text as id, true as created from ins
    union all
    select n.id::text, false from support_notes n join tk on n.ticket_id = tk.id
    where n.idempotency_key = $6::text and not exists (select 1 from ins)),
  keyed as (
    update ticket_contexts set facts_key = $6::text, updated_at = now()
    where desk = 'local' and ticket_ref = $5::text),
  t as (
    insert into customer_timeline (customer_id, at, kind, summary, event_id, details, dedupe_key)
    select $8::text::uuid, now(), 'support_note', 'context note on ticket ' || $5::text || ' (local desk)',
      $2::text::uuid, $9::text::jsonb || jsonb_build_object('noteId', ins.id::text), 'note:' || $5::text || ':' || $6::text
    from ins where $8::text is not null
    on conflict (dedupe_key) do nothing),
  ${facts("$10", "$11")},
  same as (select md5((select f from facts)::text) = $12::text as yes),
  ${completionCtes(
    1,
    `jsonb_build_object('ticket', $5::text, 'noteId', (select id from note),
      'created', coalesce((select created from note), false), 'customerId', $8::text)`,
    "(select yes from same) and exists (select 1 from note)",
  )},
  ${settleCtes("$13")}
  select (select id from note) as note_id, coalesce((select created from note), false) as created,
    (select yes from same) as same, ${COMPLETION_COLUMNS}, ${CARRIED_COLUMN}`;

interface FactsJson {
  customer: Record<string, unknown> | null;
  login: { data: Record<string, string>; at: string } | null;
  failed: { data: Record<string, string>; at: string } | null;
  order: Record<string, unknown> | null;
  account: Record<string, unknown> | null;
}

const appEvent = (e: FactsJson["login"]) => (e ? { data: e.data, at: new Date(e.at) } : undefined);

function factsOf(text: string): ContextFacts {
  const f = JSON.parse(text) as FactsJson;
  return {
    customer: f.customer ? rowFromJson(schema.customers, f.customer) : undefined,
    login: appEvent(f.login),
    failed: appEvent(f.failed),
    order: f.order ? rowFromJson(schema.orders, f.order) : undefined,
    account: f.account ? rowFromJson(schema.connectAccounts, f.account) : undefined,
  };
}

export interface TicketResult {
  ticket: string;
  noteId: string;
  created: boolean;
  customerId: string | null;
}

export type Attached<R> =
  | { delivered: false }
  | { delivered: true; attempt: number; result: R; completion: Completion };
export type TicketAttached = Attached<TicketResult>;

/** A job of an owned ledger on the general path: its start, `run`, and its completion, a statement each. */
export async function deliverInTurn<R>(db: Db, ref: DeliveryRef, run: () => Promise<R>): Promise<Attached<R>> {
  const attempt = await startDelivery(db, ref.consumer, ref.eventId);
  if (attempt === undefined) return { delivered: false };
  const result = await run();
  return { delivered: true, attempt, result, completion: await completeOwnedDelivery(db, ref, result) };
}

/** The first statement's answer: the attempt it recorded, and the facts with their fingerprint. */
export interface TicketStarted {
  attempt: number;
  facts: ContextFacts;
  fingerprint: string;
}

/** The runtime's settles for a statement to carry (JobContext.carry); none when absent. */
export interface Carrying {
  carry?: () => Carry;
}

const carryOf = (opts: Carrying) => opts.carry?.() ?? NO_CARRY;

/** START_TICKET; undefined when the delivery has completed (nothing ran). */
export async function startTicket(
  db: Db,
  ref: DeliveryRef,
  ticket: TicketRef,
  opts: Carrying = {},
): Promise<TicketStarted | undefined> {
  const [row] = await sendCarrying(carryOf(opts), (ids) =>
    execOf(db)<{ attempts: number | null; facts: string; fingerprint: string; carried: string }>(START_TICKET, [
      ref.consumer,
      ref.eventId,
      ticket.userId ?? null,
      normalizeEmail(ticket.requesterEmail),
      ticket.externalId,
      ticket.requesterEmail,
      ticket.subject,
      ids,
    ]),
  );
  if (!row || row.attempts === null) return undefined;
  return { attempt: row.attempts, facts: factsOf(row.facts), fingerprint: row.fingerprint };
}

/**
 * WRITE_NOTE for the context those facts make. When the facts changed since (or the note could
 * not be read back), the note written stays and attachContext's rounds go on from it (a note
 * "updated" if the facts now differ), then the delivery completes in a statement of its own.
 */
export async function writeTicketNote(
  db: Db,
  desk: SupportAdapter,
  ref: DeliveryRef,
  ticket: TicketRef,
  started: TicketStarted,
  opts: ContextWriteOpts & Carrying,
): Promise<{ result: TicketResult; completion: Completion }> {
  const userId = ticket.userId ?? null;
  const email = normalizeEmail(ticket.requesterEmail);
  const customerId = started.facts.customer?.id ?? null;
  const context: SupportContext = contextOf(started.facts, ticket.requesterEmail);
  const key = contextKey(context);
  const body = renderContext(context, opts.now ?? new Date());
  const details = {
    ticket: ticket.externalId,
    plan: context.plan,
    lastTransaction: context.lastPayment?.transactionId,
  };
  type Written = CompletionRow & { note_id: string | null; created: boolean; same: boolean; carried: string };
  const [row] = await sendCarrying(carryOf(opts), (ids) =>
    execOf(db)<Written>(WRITE_NOTE, [
      ...completionParams(ref),
      ticket.externalId,
      key,
      body,
      customerId,
      JSON.stringify(details),
      userId,
      email,
      started.fingerprint,
      ids,
    ]),
  );
  if (row?.note_id && row.completed > 0) {
    const result = { ticket: ticket.externalId, noteId: row.note_id, created: row.created, customerId };
    return { result, completion: completionOf(row) };
  }
  const reload = () => customerForTicket(db, ticket);
  const lastKey = row?.note_id ? key : null;
  const written = await writeCurrentContext(db, desk, ticket.externalId, reload, ticket.requesterEmail, lastKey, opts);
  const noteId = written?.noteId ?? row?.note_id;
  if (!noteId) throw new Error(`no context written on ticket ${ticket.externalId}`);
  const result = { ticket: ticket.externalId, noteId, created: Boolean(row?.created || written?.created), customerId };
  return { result, completion: await completeOwnedDelivery(db, ref, result) };
}

/** attachContext for an app's support request on the embedded desk: two statements. */
export async function attachOnLocalDesk(
  db: Db,
  desk: SupportAdapter,
  ref: DeliveryRef,
  ticket: TicketRef,
  opts: ContextWriteOpts & Carrying,
): Promise<TicketAttached> {
  const started = await startTicket(db, ref, ticket, opts);
  if (!started) return { delivered: false };
  const written = await writeTicketNote(db, desk, ref, ticket, started, opts);
  return { delivered: true, attempt: started.attempt, ...written };
}
