import { type Db, eq, schema } from "@switchyard/db";
import { PermanentError, RetryableError } from "@switchyard/events";
import type { BillingFacts } from "./billing-facts.ts";
import { type Customer, lockCustomer } from "./customers.ts";
import { isEntitled, lifecycleStage, statusRank } from "./lifecycle.ts";
import { addTimeline } from "./timeline.ts";

export interface BillingOutcome {
  customerId: string;
  /** Lifecycle stage or plan moved: the CRM must hear about it. */
  crmRelevant: boolean;
  stateChanged: boolean;
}

const newer = (a: Date | undefined, b: Date | null) => a !== undefined && (!b || a > b);
const atLeast = (a: Date, b: Date | null) => !b || a >= b;

/**
 * Merges the facts into the customer. Every field is a maximum over (provider time, tie-break),
 * so applying the same events in any order, or twice, ends in the same state.
 */
export function mergeFacts(c: Customer, f: BillingFacts): Partial<Customer> {
  const patch: Partial<Customer> = {};
  if (f.status !== undefined) {
    const t = f.at.getTime();
    const v = c.statusVersionAt?.getTime();
    if (v === undefined || t > v || (t === v && statusRank(f.status) > c.statusRank)) {
      Object.assign(patch, { subscriptionStatus: f.status, statusVersionAt: f.at, statusRank: statusRank(f.status) });
    }
  }
  if (f.plan !== undefined && atLeast(f.at, c.planVersionAt)) {
    const sameTime = c.planVersionAt?.getTime() === f.at.getTime();
    if (!sameTime || !c.plan || f.plan > c.plan) Object.assign(patch, { plan: f.plan, planVersionAt: f.at });
  }
  if (f.subscriptionId && !c.stripeSubscriptionId) patch.stripeSubscriptionId = f.subscriptionId;
  if (newer(f.currentPeriodEnd, c.currentPeriodEnd)) patch.currentPeriodEnd = f.currentPeriodEnd ?? null;
  if (f.payment) {
    const p = f.payment;
    const t = p.at.getTime();
    const v = c.lastPaymentAt?.getTime();
    if (v === undefined || t > v || (t === v && p.id > (c.lastPaymentId ?? ""))) {
      Object.assign(patch, {
        lastPaymentId: p.id,
        lastPaymentTransactionId: p.transactionId,
        lastPaymentAmount: p.amount,
        lastPaymentCurrency: p.currency,
        lastPaymentAt: p.at,
      });
    }
  }
  if (newer(f.paymentFailedAt, c.lastPaymentFailedAt)) patch.lastPaymentFailedAt = f.paymentFailedAt ?? null;
  if (newer(f.refundedAt, c.lastRefundAt)) patch.lastRefundAt = f.refundedAt ?? null;
  if (f.keys.name && !c.name) patch.name = f.keys.name;
  return patch;
}

/** Applies one Stripe event to the customer's canonical billing state, in one transaction. */
export async function applyBillingFacts(
  db: Db,
  eventId: string,
  type: string,
  input: BillingFacts | BillingFacts[],
  opts: { waitForLink?: boolean } = {},
): Promise<BillingOutcome> {
  const all = Array.isArray(input) ? input : [input];
  // One customer, known by every key any of the facts carries.
  const keys: BillingFacts["keys"] = { stripeCustomerId: null, externalId: null, email: null, name: null };
  for (const f of all) for (const [k, v] of Object.entries(f.keys)) if (v) keys[k as keyof typeof keys] = v;
  const first = all[0];
  if (!first || (!keys.stripeCustomerId && !keys.externalId && !keys.email)) {
    throw new PermanentError("invalid_payload", `${type} names no customer`);
  }
  if (opts.waitForLink && keys.stripeCustomerId && !keys.externalId && !keys.email) {
    // Stripe sends an invoice's events alongside the checkout that links its customer to a user,
    // often first. Created now, a customer known by its Stripe id alone could not later be joined
    // to the user's own row; waiting one retry lets the checkout link them.
    const [known] = await db
      .select({ id: schema.customers.id })
      .from(schema.customers)
      .where(eq(schema.customers.stripeCustomerId, keys.stripeCustomerId));
    if (!known) {
      throw new RetryableError(
        "upstream_unavailable",
        `Stripe customer ${keys.stripeCustomerId} is not linked to a user yet; waiting for its checkout`,
      );
    }
  }
  const payment = all.find((f) => f.payment)?.payment;
  return db.transaction(async (txRaw) => {
    const tx = txRaw as unknown as Db;
    const before = await lockCustomer(tx, keys);
    let merged = { ...before };
    for (const f of all) merged = { ...merged, ...mergeFacts(merged, f) };
    merged.entitled = isEntitled(merged);
    const stageBefore = lifecycleStage(before);
    const stageAfter = lifecycleStage(merged);
    const stateChanged =
      merged.subscriptionStatus !== before.subscriptionStatus ||
      merged.entitled !== before.entitled ||
      merged.plan !== before.plan;
    const { id, createdAt, ...rest } = merged;
    await tx
      .update(schema.customers)
      .set({ ...rest, updatedAt: new Date() })
      .where(eq(schema.customers.id, id));
    await addTimeline(tx, {
      customerId: id,
      kind: "event",
      summary: type,
      eventId,
      at: first.at,
      dedupeKey: `event:${eventId}`,
      details: payment ? { payment } : undefined,
    });
    if (stateChanged) {
      await addTimeline(tx, {
        customerId: id,
        kind: "state_change",
        summary: `${before.subscriptionStatus ?? "none"} → ${merged.subscriptionStatus ?? "none"}; ${merged.entitled ? "entitled" : "not entitled"}; plan ${merged.plan ?? "none"}`,
        eventId,
        dedupeKey: `state:${eventId}`,
        details: { status: merged.subscriptionStatus, entitled: merged.entitled, plan: merged.plan, stage: stageAfter },
      });
    }
    return { customerId: id, crmRelevant: stageBefore !== stageAfter || before.plan !== merged.plan, stateChanged };
  });
}
