import type { CrmAdapter } from "@switchyard/connectors";
import { type Db, eq, schema } from "@switchyard/db";
import { PermanentError } from "@switchyard/events";
import { type Customer, lockCustomer } from "./customers.ts";
import { lifecycleStage } from "./lifecycle.ts";
import { buyerStats } from "./order-store.ts";
import { addTimeline } from "./timeline.ts";

/**
 * A signup creates (or finds) the customer Switchyard owns; the CRM is told afterwards. Returns the
 * customer as this transaction left it.
 */
export async function recordSignup(
  db: Db,
  eventId: string,
  signup: { userId: string; email: string; name?: string | undefined },
  at: Date,
): Promise<Customer> {
  return db.transaction(async (txRaw) => {
    const tx = txRaw as unknown as Db;
    let customer = await lockCustomer(tx, { externalId: signup.userId, email: signup.email });
    if (signup.name && !customer.name) {
      await tx.update(schema.customers).set({ name: signup.name }).where(eq(schema.customers.id, customer.id));
      customer = { ...customer, name: signup.name };
    }
    await addTimeline(tx, {
      customerId: customer.id,
      kind: "event",
      summary: "user.signed_up",
      eventId,
      at,
      dedupeKey: `event:${eventId}`,
    });
    return customer;
  });
}

/**
 * Writes the customer's current state to the CRM: one contact per customer, by upsert. Given an
 * id it reads the customer; given the row a step of the same job just wrote, it uses that.
 */
export async function syncContact(
  db: Db,
  crm: CrmAdapter,
  who: string | Customer,
  opts: { eventId: string; idempotencyKey: string; signal?: AbortSignal },
) {
  const customer =
    typeof who === "string" ? (await db.select().from(schema.customers).where(eq(schema.customers.id, who)))[0] : who;
  if (!customer) throw new PermanentError("invalid_payload", `customer ${String(who)} does not exist`);
  const stage = lifecycleStage({ ...customer, paidOrders: (await buyerStats(db, customer.id)).paidOrders });
  const result = await crm.upsertContact(
    {
      customerId: customer.id,
      email: customer.email,
      externalId: customer.externalId,
      lifecycleStage: stage,
      plan: customer.plan,
    },
    { idempotencyKey: opts.idempotencyKey, ...(opts.signal ? { signal: opts.signal } : {}) },
  );
  if (result.changed) {
    await addTimeline(db, {
      customerId: customer.id,
      kind: "crm_sync",
      summary: `${result.created ? "contact created" : "contact updated"} in ${crm.name} CRM: ${stage}${customer.plan ? `, ${customer.plan}` : ""}`,
      eventId: opts.eventId,
      dedupeKey: `crm:${opts.eventId}:${customer.id}`,
      details: { contactId: result.contactId, stage, plan: customer.plan },
    });
  }
  return { contactId: result.contactId, stage, created: result.created };
}
