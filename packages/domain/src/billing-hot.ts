// applyBillingFacts in two statements: read the customer's rows, merge in JavaScript, write back
// only if the row is still the version read (optimistic, on xmin), or insert the customer none of
// them is, only if none of its keys has been taken meanwhile. The locking transaction it replaces
// took five round trips; it stays for what this path leaves to it (see applyWithoutLock).
// A job that owns its ledger starts its delivery in the read and completes it in the write.

import {
  COMPLETION_COLUMNS,
  type Completion,
  type CompletionRow,
  completionCtes,
  completionOf,
  completionParams,
  type Db,
  type DeliveryRef,
  dateOf,
  type Exec,
  execOf,
  START_CTE,
} from "@switchyard/db";
import { RetryableError } from "@switchyard/events";
import type { BillingFacts } from "./billing-facts.ts";
import type { BillingChange, BillingOutcome } from "./billing-types.ts";
import { type Customer, keyPatch, newCustomer, normalizeEmail, pickMatch } from "./customers.ts";

const ms = (column: string) => `(extract(epoch from c.${column}) * 1000)::float8 as ${column}`;

const COLUMNS = `c.xmin::text as version, c.id::text as id, c.external_id, c.email, c.name, c.stripe_customer_id,
    c.stripe_subscription_id, c.plan, c.subscription_status, ${ms("status_version_at")}, c.status_rank,
    ${ms("plan_version_at")}, c.entitled, ${ms("current_period_end")}, c.last_payment_id,
    c.last_payment_transaction_id, c.last_payment_amount, c.last_payment_currency, ${ms("last_payment_at")},
    ${ms("last_payment_failed_at")}, ${ms("last_refund_at")}, c.status_override, ${ms("created_at")}, ${ms("updated_at")}`;
const MATCHES = (at: number) =>
  `(c.stripe_customer_id = $${at}::text or c.external_id = $${at + 1}::text or c.email = $${at + 2}::text)`;

/** Every customer a key matches, each with its row version. */
const READ = `select ${COLUMNS} from customers c where ${MATCHES(1)}`;

/**
 * The delivery of ($1 consumer, $2 event) started and the customers read, in one statement: the
 * attempt on every row, the customers only when it started. A completed delivery gives one row
 * with no attempt and the result it completed with (its follow-ups may not have been sent).
 */
const START_READ = `with ${START_CTE}
  select (select attempts from d) as attempts,
    (select x.result::text from deliveries x
      where x.consumer = $1::text and x.event_id = $2::text::uuid and not exists (select 1 from d)) as done_result,
    ${COLUMNS}
  from (select 1) one left join customers c on exists (select 1 from d) and ${MATCHES(3)}`;

const TIMELINE_CTE = `t as (
    insert into customer_timeline (customer_id, at, kind, summary, event_id, details, dedupe_key)
    select u.id, coalesce((x->>'at')::timestamptz, now()), x->>'kind', x->>'summary', (x->>'eventId')::uuid,
      nullif(x->'details', 'null'::jsonb), x->>'dedupeKey'
    from u, jsonb_array_elements($22::text::jsonb) x
    on conflict (dedupe_key) do nothing)`;

/**
 * The merged state and its timeline lines, written only when the row is the version read: a
 * concurrent change (another Stripe event of the customer's, an operator's override) moves xmin, so
 * the update matches nothing (Postgres re-checks the condition against the newer row), nothing is
 * written, and the caller merges again under the lock.
 */
const UPDATE_CTES = `u as (
    update customers c set external_id = $3::text, email = $4::text, name = $5::text, stripe_customer_id = $6::text,
      stripe_subscription_id = $7::text, plan = $8::text, subscription_status = $9::text,
      status_version_at = $10::text::timestamptz, status_rank = $11::text::int, plan_version_at = $12::text::timestamptz,
      entitled = $13::text::boolean, current_period_end = $14::text::timestamptz, last_payment_id = $15::text,
      last_payment_transaction_id = $16::text, last_payment_amount = $17::text::int, last_payment_currency = $18::text,
      last_payment_at = $19::text::timestamptz, last_payment_failed_at = $20::text::timestamptz,
      last_refund_at = $21::text::timestamptz, updated_at = now()
    where c.id = $1::text::uuid and c.xmin::text = $2::text
    returning c.id),
  ${TIMELINE_CTE}`;

/**
 * A customer none of whose keys the read found, created with its merged state under the id the
 * plan gave it ($2, the version, is null). Any unique key taken meanwhile (a concurrent event of
 * the same customer created it) makes the insert write nothing, and the caller goes through the
 * lock, which finds that row.
 */
const INSERT_CTES = `u as (
    insert into customers (id, external_id, email, name, stripe_customer_id, stripe_subscription_id, plan,
      subscription_status, status_version_at, status_rank, plan_version_at, entitled, current_period_end,
      last_payment_id, last_payment_transaction_id, last_payment_amount, last_payment_currency, last_payment_at,
      last_payment_failed_at, last_refund_at)
    select $1::text::uuid, $3::text, $4::text, $5::text, $6::text, $7::text, $8::text, $9::text,
      $10::text::timestamptz, $11::text::int, $12::text::timestamptz, $13::text::boolean, $14::text::timestamptz,
      $15::text, $16::text, $17::text::int, $18::text, $19::text::timestamptz, $20::text::timestamptz,
      $21::text::timestamptz
    where $2::text is null
    on conflict do nothing
    returning id),
  ${TIMELINE_CTE}`;

const writeOf = (ctes: string) => `with ${ctes} select count(*)::int as written from u`;
const WRITE = { update: writeOf(UPDATE_CTES), insert: writeOf(INSERT_CTES) };

/** The write and, only if it matched, the delivery's completion with $27 (the outcome, jsonb). */
const writeCompleteOf = (ctes: string) => `with ${ctes},
  ${completionCtes(23, "$27::text::jsonb", "exists (select 1 from u)")}
  select (select count(*) from u)::int as written, ${COMPLETION_COLUMNS}`;
const WRITE_COMPLETE = { update: writeCompleteOf(UPDATE_CTES), insert: writeCompleteOf(INSERT_CTES) };

type Row = Record<string, string | number | boolean | null>;

const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

function customerOf(r: Row): Customer {
  const date = (k: string) => dateOf(r[k] as number | null);
  return {
    id: String(r.id),
    externalId: text(r.external_id),
    email: text(r.email),
    name: text(r.name),
    stripeCustomerId: text(r.stripe_customer_id),
    stripeSubscriptionId: text(r.stripe_subscription_id),
    plan: text(r.plan),
    subscriptionStatus: text(r.subscription_status),
    statusVersionAt: date("status_version_at"),
    statusRank: Number(r.status_rank),
    planVersionAt: date("plan_version_at"),
    entitled: r.entitled === true,
    currentPeriodEnd: date("current_period_end"),
    lastPaymentId: text(r.last_payment_id),
    lastPaymentTransactionId: text(r.last_payment_transaction_id),
    lastPaymentAmount: r.last_payment_amount === null ? null : Number(r.last_payment_amount),
    lastPaymentCurrency: text(r.last_payment_currency),
    lastPaymentAt: date("last_payment_at"),
    lastPaymentFailedAt: date("last_payment_failed_at"),
    lastRefundAt: date("last_refund_at"),
    statusOverride: text(r.status_override),
    createdAt: date("created_at") ?? new Date(0),
    updatedAt: date("updated_at") ?? new Date(0),
  };
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export type Versioned = readonly (readonly [string, Customer])[];

const versioned = (rows: Row[]): Versioned =>
  rows.filter((r) => r.id !== null).map((r) => [String(r.version), customerOf(r)] as const);

/**
 * The customer the keys name among `rows` and what the change makes of it. When none matches, a
 * customer to create: under a new id, with the keys, as lockCustomer would insert it (no version).
 */
export function plan(rows: Versioned, keys: BillingFacts["keys"], change: (before: Customer) => BillingChange) {
  const customers = rows.map(([, c]) => c);
  const known = { ...keys, email: normalizeEmail(keys.email) };
  const match = pickMatch(customers, known);
  if (!match) return { version: null, ...change(newCustomer(known)) };
  const version = rows.find(([, c]) => c === match)?.[0] ?? null;
  return { version, ...change({ ...match, ...keyPatch(match, known, customers) }) };
}

export type Planned = ReturnType<typeof plan>;

const shape = (planned: Planned) => (planned.version === null ? "insert" : "update");

/** Throws, when asked to wait, while the keys name only a Stripe customer none of `customers` is. */
export function waitForItsLink(customers: readonly Customer[], keys: BillingFacts["keys"], waitForLink: boolean) {
  if (!waitForLink || !keys.stripeCustomerId || keys.externalId || keys.email) return;
  // Stripe sends an invoice's events alongside the checkout that links its customer to a user,
  // often first. Created now, a customer known by its Stripe id alone could not later be joined
  // to the user's own row; waiting one retry lets the checkout link them.
  if (!customers.some((c) => c.stripeCustomerId === keys.stripeCustomerId)) {
    throw new RetryableError(
      "upstream_unavailable",
      `Stripe customer ${keys.stripeCustomerId} is not linked to a user yet; waiting for its checkout`,
    );
  }
}

/** WRITE's parameters, $1 to $22. */
function writeParams({ version, merged, lines }: Planned): unknown[] {
  return [
    merged.id,
    version,
    merged.externalId,
    merged.email,
    merged.name,
    merged.stripeCustomerId,
    merged.stripeSubscriptionId,
    merged.plan,
    merged.subscriptionStatus,
    iso(merged.statusVersionAt),
    String(merged.statusRank),
    iso(merged.planVersionAt),
    String(merged.entitled),
    iso(merged.currentPeriodEnd),
    merged.lastPaymentId,
    merged.lastPaymentTransactionId,
    merged.lastPaymentAmount === null ? null : String(merged.lastPaymentAmount),
    merged.lastPaymentCurrency,
    iso(merged.lastPaymentAt),
    iso(merged.lastPaymentFailedAt),
    iso(merged.lastRefundAt),
    JSON.stringify(lines.map((l) => ({ ...l, at: l.at ? l.at.toISOString() : null }))),
  ];
}

/** The pool's statements, or undefined for a transaction's db (no pool to send fixed statements on). */
const poolExec = (db: Db): Exec | undefined =>
  (db as unknown as { $client?: unknown }).$client ? execOf(db) : undefined;

/**
 * The change applied in two statements, when nobody changes the customer's row in between (or,
 * for a customer to create, takes one of its keys); `undefined` otherwise (nothing written): a
 * transaction's db, or a row changed or created meanwhile go through the lock.
 */
export async function applyWithoutLock(
  db: Db,
  keys: BillingFacts["keys"],
  change: (before: Customer) => BillingChange,
  opts: { waitForLink?: boolean },
): Promise<BillingOutcome | undefined> {
  const exec = poolExec(db);
  if (!exec) return undefined;
  const rows = versioned(await exec<Row>(READ, [keys.stripeCustomerId, keys.externalId, normalizeEmail(keys.email)]));
  waitForItsLink(
    rows.map(([, c]) => c),
    keys,
    opts.waitForLink ?? false,
  );
  const planned = plan(rows, keys, change);
  const [row] = await exec<{ written: number }>(WRITE[shape(planned)], writeParams(planned));
  return row && row.written > 0 ? planned.outcome : undefined;
}

/** A completed delivery's result, read afresh (START_READ's snapshot may predate its completion). */
const RESULT = `select result::text as result from deliveries where consumer = $1::text and event_id = $2::text::uuid`;

/** What starting a billing job's delivery found: the customers, or the result it completed with. */
export type HotStart = { attempt: undefined; previous: unknown } | { attempt: number; rows: Versioned };

/**
 * A billing job's first statement, for a job that owns its ledger: the delivery started and the
 * customers the keys match read. A delivery found completed gives the result it completed with
 * (its follow-ups may not have been sent), or null for one completed with none.
 */
export async function startBillingDelivery(db: Db, ref: DeliveryRef, keys: BillingFacts["keys"]): Promise<HotStart> {
  const exec = execOf(db);
  const rows = await exec<Row & { attempts: number | null; done_result: string | null }>(START_READ, [
    ref.consumer,
    ref.eventId,
    keys.stripeCustomerId,
    keys.externalId,
    normalizeEmail(keys.email),
  ]);
  const attempt = rows[0]?.attempts ?? undefined;
  if (attempt !== undefined) return { attempt, rows: versioned(rows) };
  // The conflict check saw the delivery completed, perhaps by a transaction that committed after
  // this statement's snapshot was taken, which then shows its result as it was before: null.
  const done =
    rows[0]?.done_result ?? (await exec<{ result: string | null }>(RESULT, [ref.consumer, ref.eventId]))[0]?.result;
  return { attempt, previous: done ? (JSON.parse(done) as unknown) : null };
}

/**
 * The planned change written, if the customer's row is still the version read, and the delivery
 * completed with `result` in the same statement: a billing change is two statements, two
 * commits. Undefined when the write matched nothing (nothing completed): the lock's path follows.
 */
export async function writeCompleting(
  db: Db,
  ref: DeliveryRef,
  planned: Planned,
  result: unknown,
): Promise<Completion | undefined> {
  const [row] = await execOf(db)<CompletionRow & { written: number }>(WRITE_COMPLETE[shape(planned)], [
    ...writeParams(planned),
    ...completionParams(ref),
    JSON.stringify(result),
  ]);
  return row && row.written > 0 ? completionOf(row) : undefined;
}
