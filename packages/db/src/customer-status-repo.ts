import { and, desc, eq, inArray, notInArray, sql } from "drizzle-orm";
import { type Db, rowsOf } from "./client.ts";
import {
  type NextStep,
  nextStep,
  SYSTEM_QUEUES,
  type SystemName,
  type SystemStatus,
  systemStatus,
} from "./customer-status.ts";
import { EVENT_RECORD_COLUMNS, type EventRecord, jobStates } from "./job-states-repo.ts";
import { customers, customerTimeline, events, failures, orders } from "./schema.ts";
import type { OrderState } from "./schema-orders.ts";

export interface CustomerStatusView {
  userId: string;
  entitled: boolean;
  plan: string | null;
  billingStatus: string | null;
  systems: Record<SystemName, SystemStatus>;
  orders: {
    orderId: string | null;
    state: OrderState;
    amount: number | null;
    currency: string | null;
    updatedAt: string;
  }[];
  nextStep: { code: NextStep; message: string };
}

/** Events a user's status is read from: the most recent ones of each kind is enough. */
const RECENT = 200;
/** Orders that are over: what is left is open. */
const CLOSED_ORDERS: OrderState[] = ["fulfilled", "canceled", "refunded", "dispute_won", "dispute_lost"];
const PAYMENT_FAILURES = ["stripe.invoice.payment_failed", "stripe.invoice.payment_action_required"];

/**
 * One app user's standing as Switchyard knows it, or undefined when it knows no such user (no
 * customer, no event of theirs): the app's key never reaches another user's row. Every lookup
 * is by an index: the user's app events (events_app_user_idx), the customer's timeline, and the
 * Stripe events still waiting or parked for its Stripe customer.
 */
export async function customerStatus(db: Db, userId: string): Promise<CustomerStatusView | undefined> {
  const [customer] = await db.select().from(customers).where(eq(customers.externalId, userId));
  // Literals, not parameters, where a partial index's predicate must be matched by the plan.
  const appEvents = db
    .select(EVENT_RECORD_COLUMNS)
    .from(events)
    .where(and(sql`${events.source} = 'app'`, sql`${events.payload} -> 'data' ->> 'userId' = ${userId}`))
    .orderBy(desc(events.receivedAt))
    .limit(RECENT);
  const linked = customer
    ? db
        .select(EVENT_RECORD_COLUMNS)
        .from(events)
        .where(
          inArray(
            events.id,
            db
              .select({ id: sql<string>`${customerTimeline.eventId}` })
              .from(customerTimeline)
              .where(and(eq(customerTimeline.customerId, customer.id), sql`${customerTimeline.eventId} is not null`))
              .orderBy(desc(customerTimeline.at))
              .limit(RECENT),
          ),
        )
    : Promise.resolve([]);
  const stripeId = customer?.stripeCustomerId;
  const stripeCustomer = sql`${events.source} = 'stripe' and ${events.payload} -> 'data' -> 'object' ->> 'customer' = ${stripeId ?? ""}`;
  // A Stripe event billing-sync has not applied yet names no customer in Switchyard's records.
  const waiting = stripeId
    ? db
        .select(EVENT_RECORD_COLUMNS)
        .from(events)
        .where(and(sql`${events.status} = 'received'`, stripeCustomer))
        .limit(RECENT)
    : Promise.resolve([]);
  // Unsettled failures are an operator's backlog, a few rows: read them first, then their events.
  const parked = stripeId
    ? db
        .execute(sql`
          with unsettled as materialized (
            select distinct event_id from ${failures}
            where status in ('open', 'retrying') and queue = 'billing-sync' and event_id is not null)
          select ${events.id}::text as id from unsettled u join ${events} on ${events.id} = u.event_id
          where ${stripeCustomer} limit ${RECENT}`)
        .then((r) => rowsOf<{ id: string }>(r).map((row) => row.id))
        .then((ids) => (ids.length ? db.select(EVENT_RECORD_COLUMNS).from(events).where(inArray(events.id, ids)) : []))
    : Promise.resolve([]);
  const openOrders = customer
    ? db
        .select({
          orderId: orders.appOrderId,
          state: orders.state,
          amount: orders.amount,
          currency: orders.currency,
          updatedAt: orders.updatedAt,
        })
        .from(orders)
        .where(and(eq(orders.buyerCustomerId, customer.id), notInArray(orders.state, CLOSED_ORDERS)))
        .orderBy(desc(orders.createdAt))
        .limit(50)
    : Promise.resolve([]);
  const lists = await Promise.all([appEvents, linked, waiting, parked]);
  const records = new Map<string, EventRecord>();
  for (const list of lists) for (const r of list) records.set(r.id, r);
  if (!customer && records.size === 0) return undefined;

  const jobs = (await jobStates(db, [...records.values()])).map((j) => ({
    ...j,
    receivedAt: records.get(j.eventId)?.receivedAt ?? j.since,
  }));
  const systems = Object.fromEntries(
    (Object.keys(SYSTEM_QUEUES) as SystemName[]).map((name) => [
      name,
      systemStatus(jobs.filter((j) => (SYSTEM_QUEUES[name] as readonly string[]).includes(j.queue))),
    ]),
  ) as Record<SystemName, SystemStatus>;
  const paidAt = customer?.lastPaymentAt;
  const failedAt = customer?.lastPaymentFailedAt;
  const lastFailure = [...records.values()]
    .filter((r) => PAYMENT_FAILURES.includes(r.type))
    .sort((a, b) => b.receivedAt.getTime() - a.receivedAt.getTime())[0];
  return {
    userId,
    entitled: customer?.entitled ?? false,
    plan: customer?.plan ?? null,
    billingStatus: customer?.statusOverride ?? customer?.subscriptionStatus ?? null,
    systems,
    orders: (await openOrders).map((o) => ({ ...o, updatedAt: o.updatedAt.toISOString() })),
    nextStep: nextStep(systems, {
      outstanding: Boolean(failedAt && (!paidAt || failedAt > paidAt)),
      failureType: lastFailure?.type ?? null,
    }),
  };
}
