import type { CrmAdapter } from "@switchyard/connectors";
import { type Db, eq, schema } from "@switchyard/db";
import { PermanentError } from "@switchyard/events";
import { connectStatusOf, connectStatusWord } from "./connect.ts";
import { lifecycleStage } from "./lifecycle.ts";
import { buyerStats } from "./order-store.ts";
import { addTimeline } from "./timeline.ts";

/**
 * A buyer's or a seller's contact after an order or a Connect account moved: the stage (a lead
 * with a paid order is a customer, as in every crm-sync job), the order figures and role.
 */
export async function syncOrderContact(
  db: Db,
  crm: CrmAdapter,
  customerId: string,
  opts: { eventId: string; idempotencyKey: string; signal?: AbortSignal },
) {
  const [customer] = await db.select().from(schema.customers).where(eq(schema.customers.id, customerId));
  if (!customer) throw new PermanentError("invalid_payload", `customer ${customerId} does not exist`);
  // The app may name a seller by user id alone; a CRM keyed by email has nowhere to put it yet.
  if (!customer.email && crm.name !== "local") return { skipped: "no email" };
  const stats = await buyerStats(db, customer.id);
  const connect = await connectStatusOf(db, customer.id);
  const [sold] = await db
    .select({ id: schema.orders.id })
    .from(schema.orders)
    .where(eq(schema.orders.sellerCustomerId, customer.id))
    .limit(1);
  const stage = lifecycleStage({ ...customer, paidOrders: stats.paidOrders });
  const orders = {
    count: stats.paidOrders,
    lifetimeValue: stats.lifetimeValue,
    lastOrderDate: stats.lastOrderAt?.toISOString().slice(0, 10) ?? null,
    role: sold || connect ? ("seller" as const) : ("buyer" as const),
    connectStatus: connectStatusWord(connect) || null,
  };
  const result = await crm.upsertContact(
    {
      customerId: customer.id,
      email: customer.email,
      externalId: customer.externalId,
      lifecycleStage: stage,
      plan: customer.plan,
      orders,
    },
    { idempotencyKey: opts.idempotencyKey, ...(opts.signal ? { signal: opts.signal } : {}) },
  );
  if (result.changed) {
    await addTimeline(db, {
      customerId: customer.id,
      kind: "crm_sync",
      summary: `${result.created ? "contact created" : "contact updated"} in ${crm.name} CRM: ${stage}, ${orders.role}, ${orders.count} paid order(s)`,
      eventId: opts.eventId,
      dedupeKey: `crm:${opts.eventId}:${customer.id}`,
      details: { contactId: result.contactId, stage, orders },
    });
  }
  return { contactId: result.contactId, stage, orders };
}
