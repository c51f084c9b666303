import { type Completion, completeOwnedDelivery, type Db, type DeliveryRef, eq, schema } from "@switchyard/db";
import { PermanentError } from "@switchyard/events";
import type { BillingFacts } from "./billing-facts.ts";
import { applyWithoutLock, plan, startBillingDelivery, waitForItsLink, writeCompleting } from "./billing-hot.ts";
import type { BillingChange, BillingOutcome } from "./billing-types.ts";
import { type Customer, lockCustomer } from "./customers.ts";
import { isEntitled, lifecycleStage, statusRank } from "./lifecycle.ts";
import { addTimeline, type TimelineEntry } from "./timeline.ts";

export type { BillingChange, BillingOutcome };

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
  const { keys, change } = changeOf(eventId, type, input);
  // Two statements, the usual way (billing-hot.ts); a customer changed or created meanwhile takes
  // the locking transaction below.
  const applied = await applyWithoutLock(db, keys, change, opts);
  if (applied) return applied;
  return applyUnderLock(db, keys, change);
}

/**
 * What a billing job's delivery did: the outcome and what `record` added to it, as completed; or,
 * for a delivery found completed, what it completed with (null: nothing, or an older shape).
 */
export type BillingDelivery<R extends object> =
  | { attempt: undefined; previous: (BillingOutcome & Partial<R>) | null }
  | { attempt: number; outcome: BillingOutcome; recorded: BillingOutcome & R; completion: Completion };

/**
 * applyBillingFacts for a job that owns its ledger (ref): the delivery's start is the customer's
 * read and its completion the write (an update, or the insert of a customer none of whose keys the
 * read found), so the usual change is two statements, two commits; the lock's path completes by a
 * statement of its own after its transaction has committed. The read
 * goes by the event's own keys; `facts` (Stripe's current objects) are fetched only once the
 * delivery has started, and keys they add send the change through the lock.
 */
export async function deliverBillingFacts<R extends object>(
  db: Db,
  ref: DeliveryRef,
  type: string,
  eventFacts: BillingFacts | BillingFacts[],
  opts: {
    facts?: () => Promise<BillingFacts | BillingFacts[]>;
    waitForLink: (attempt: number) => boolean;
    /** What the completion records beside the outcome (the follow-ups owed, say). */
    record: (outcome: BillingOutcome, facts: BillingFacts[], attempt: number) => R;
  },
): Promise<BillingDelivery<R>> {
  const read = changeOf(ref.eventId, type, eventFacts);
  const started = await startBillingDelivery(db, ref, read.keys);
  if (started.attempt === undefined) {
    return { attempt: undefined, previous: started.previous as (BillingOutcome & Partial<R>) | null };
  }
  const { attempt, rows } = started;
  const input = opts.facts ? await opts.facts() : eventFacts;
  const { keys, change, all } = input === eventFacts ? read : changeOf(ref.eventId, type, input);
  const recorded = (outcome: BillingOutcome) => ({ ...outcome, ...opts.record(outcome, all, attempt) });
  waitForItsLink(
    rows.map(([, c]) => c),
    keys,
    opts.waitForLink(attempt),
  );
  // The customers were read by the event's keys: a key Stripe's objects add could name another row.
  const sameKeys = (["stripeCustomerId", "externalId", "email"] as const).every((k) => keys[k] === read.keys[k]);
  const planned = sameKeys ? plan(rows, keys, change) : undefined;
  if (planned) {
    const result = recorded(planned.outcome);
    const completion = await writeCompleting(db, ref, planned, result);
    if (completion) return { attempt, outcome: planned.outcome, recorded: result, completion };
  }
  const outcome = await applyUnderLock(db, keys, change);
  const result = recorded(outcome);
  return { attempt, outcome, recorded: result, completion: await completeOwnedDelivery(db, ref, result) };
}

/** One customer, known by every key any of the facts carries, and what the facts make of it. */
function changeOf(eventId: string, type: string, input: BillingFacts | BillingFacts[]) {
  const all = Array.isArray(input) ? input : [input];
  const keys: BillingFacts["keys"] = { stripeCustomerId: null, externalId: null, email: null, name: null };
  for (const f of all) for (const [k, v] of Object.entries(f.keys)) if (v) keys[k as keyof typeof keys] = v;
  const first = all[0];
  if (!first || (!keys.stripeCustomerId && !keys.externalId && !keys.email)) {
    throw new PermanentError("invalid_payload", `${type} names no customer`);
  }
  return { keys, all, change: (before: Customer) => billingChange(before, all, eventId, type) };
}

function applyUnderLock(db: Db, keys: BillingFacts["keys"], change: (before: Customer) => BillingChange) {
  return db.transaction(async (txRaw) => {
    const tx = txRaw as unknown as Db;
    const { merged, outcome, lines } = change(await lockCustomer(tx, keys));
    const { id, createdAt, ...rest } = merged;
    await tx
      .update(schema.customers)
      .set({ ...rest, updatedAt: new Date() })
      .where(eq(schema.customers.id, id));
    for (const line of lines) await addTimeline(tx, line);
    return outcome;
  });
}

/** What the facts make of the customer `before`, and the lines its timeline gets. */
export function billingChange(before: Customer, all: BillingFacts[], eventId: string, type: string): BillingChange {
  const first = all[0];
  if (!first) throw new PermanentError("invalid_payload", `${type} carries no facts`);
  const payment = all.find((f) => f.payment)?.payment;
  let merged = { ...before };
  for (const f of all) merged = { ...merged, ...mergeFacts(merged, f) };
  merged.entitled = isEntitled(merged);
  const stageBefore = lifecycleStage(before);
  const stageAfter = lifecycleStage(merged);
  const stateChanged =
    merged.subscriptionStatus !== before.subscriptionStatus ||
    merged.entitled !== before.entitled ||
    merged.plan !== before.plan;
  const lines: TimelineEntry[] = [
    {
      customerId: merged.id,
      kind: "event",
      summary: type,
      eventId,
      at: first.at,
      dedupeKey: `event:${eventId}`,
      details: payment ? { payment } : undefined,
    },
  ];
  if (stateChanged) {
    lines.push({
      customerId: merged.id,
      kind: "state_change",
      summary: `${before.subscriptionStatus ?? "none"} → ${merged.subscriptionStatus ?? "none"}; ${merged.entitled ? "entitled" : "not entitled"}; plan ${merged.plan ?? "none"}`,
      eventId,
      dedupeKey: `state:${eventId}`,
      details: { status: merged.subscriptionStatus, entitled: merged.entitled, plan: merged.plan, stage: stageAfter },
    });
  }
  const crmRelevant = stageBefore !== stageAfter || before.plan !== merged.plan;
  return { merged, outcome: { customerId: merged.id, crmRelevant, stateChanged }, lines };
}
