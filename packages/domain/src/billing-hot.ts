// applyBillingFacts in two statements: read the customer's rows, merge in JavaScript, write back
// only if the row is still the version read (optimistic, on xmin). The locking transaction it
// replaces took five round trips; it stays for what this path leaves to it (see applyWithoutLock).
import { type Db, dateOf, execOf } from "@switchyard/db";
import { RetryableError } from "@switchyard/events";
import type { BillingFacts } from "./billing-facts.ts";
import type { BillingChange, BillingOutcome } from "./billing-types.ts";
import { type Customer, keyPatch, normalizeEmail, pickMatch } from "./customers.ts";

const ms = (column: string) => `(extract(epoch from c.${column}) * 1000)::float8 as ${column}`;

/** Every customer a key matches, each with its row version. */
const READ = `select c.xmin::text as version, c.id::text as id, c.external_id, c.email, c.name, c.stripe_customer_id,
    c.stripe_subscription_id, c.plan, c.subscription_status, ${ms("status_version_at")}, c.status_rank,
    ${ms("plan_version_at")}, c.entitled, ${ms("current_period_end")}, c.last_payment_id,
    c.last_payment_transaction_id, c.last_payment_amount, c.last_payment_currency, ${ms("last_payment_at")},
    ${ms("last_payment_failed_at")}, ${ms("last_refund_at")}, c.status_override, ${ms("created_at")}, ${ms("updated_at")}
  from customers c where c.stripe_customer_id = $1::text or c.external_id = $2::text or c.email = $3::text`;

/**
 * The merged state and its timeline lines, written only when the row is the version read: a
 * concurrent change (another Stripe event of the customer's, an operator's override) moves xmin, so
 * the update matches nothing (Postgres re-checks the condition against the newer row), nothing is
 * written, and the caller merges again under the lock.
 */
const WRITE = `with u as (
    update customers c set external_id = $3::text, email = $4::text, name = $5::text, stripe_customer_id = $6::text,
      stripe_subscription_id = $7::text, plan = $8::text, subscription_status = $9::text,
      status_version_at = $10::text::timestamptz, status_rank = $11::text::int, plan_version_at = $12::text::timestamptz,
      entitled = $13::text::boolean, current_period_end = $14::text::timestamptz, last_payment_id = $15::text,
      last_payment_transaction_id = $16::text, last_payment_amount = $17::text::int, last_payment_currency = $18::text,
      last_payment_at = $19::text::timestamptz, last_payment_failed_at = $20::text::timestamptz,
      last_refund_at = $21::text::timestamptz, updated_at = now()
    where c.id = $1::text::uuid and c.xmin::text = $2::text
    returning c.id),
  t as (
    insert into customer_timeline (customer_id, at, kind, summary, event_id, details, dedupe_key)
    select u.id, coalesce((x->>'at')::timestamptz, now()), x->>'kind', x->>'summary', (x->>'eventId')::uuid,
      nullif(x->'details', 'null'::jsonb), x->>'dedupeKey'
    from u, jsonb_array_elements($22::text::jsonb) x
    on conflict (dedupe_key) do nothing)
  select count(*)::int as written from u`;

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

/**
 * The change applied in two statements, when the customer exists and nobody changes its row in
 * between; `undefined` otherwise (nothing written): a customer to create, a transaction's db (no
 * pool to send fixed statements on), or a row changed meanwhile go through the lock.
 */
export async function applyWithoutLock(
  db: Db,
  keys: BillingFacts["keys"],
  change: (before: Customer) => BillingChange,
  opts: { waitForLink?: boolean },
): Promise<BillingOutcome | undefined> {
  if (!(db as unknown as { $client?: unknown }).$client) return undefined;
  const exec = execOf(db);
  const email = normalizeEmail(keys.email);
  const rows = (await exec<Row>(READ, [keys.stripeCustomerId, keys.externalId, email])).map(
    (r) => [String(r.version), customerOf(r)] as const,
  );
  const customers = rows.map(([, c]) => c);
  if (opts.waitForLink && keys.stripeCustomerId && !keys.externalId && !keys.email) {
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
  const known = { ...keys, email };
  const match = pickMatch(customers, known);
  if (!match) return undefined;
  const version = rows.find(([, c]) => c === match)?.[0];
  const { merged, outcome, lines } = change({ ...match, ...keyPatch(match, known, customers) });
  const [row] = await exec<{ written: number }>(WRITE, [
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
  ]);
  return row && row.written > 0 ? outcome : undefined;
}
