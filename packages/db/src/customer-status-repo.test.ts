import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customerStatus } from "./customer-status-repo.ts";
import { recordEvent } from "./events-repo.ts";
import { recordFailure } from "./failures-repo.ts";
import { findAppEvent, jobStates } from "./job-states-repo.ts";
import { customers, customerTimeline, deliveries, orders } from "./schema.ts";
import { type MigratedDatabase, migratedTestDatabase } from "./testing.ts";

const T = (min: number) => new Date(Date.UTC(2026, 10, 30, 12, min));

/** The read model on real Postgres, one user per case, the rows written as the workers write them. */
describe("customerStatus", () => {
  let database: MigratedDatabase;
  beforeAll(async () => {
    database = await migratedTestDatabase("customer_status");
  });
  afterAll(() => database?.close());
  const db = () => database.handle.db;

  async function customer(userId: string, more: Partial<typeof customers.$inferInsert> = {}) {
    const [row] = await db()
      .insert(customers)
      .values({ externalId: userId, email: `${userId}@example.com`, ...more })
      .returning();
    if (!row) throw new Error("no customer");
    return row;
  }
  async function event(o: { source?: string; type: string; payload: unknown; queues: string[]; at: Date }) {
    const { event } = await recordEvent(db(), {
      source: o.source ?? "app",
      sourceEventId: randomUUID(),
      type: o.type,
      payload: o.payload,
      payloadHash: randomUUID(),
      status: "received",
      queues: o.queues,
      receivedAt: o.at,
    });
    return event;
  }
  const appEvent = (userId: string, type: string, queues: string[], at: Date) =>
    event({ type: `app.${type}`, payload: { type, data: { userId } }, queues, at });
  const done = (eventId: string, consumer: string, at: Date) =>
    db().insert(deliveries).values({ consumer, eventId, status: "completed", completedAt: at });
  const linked = (customerId: string, eventId: string, at: Date) =>
    db()
      .insert(customerTimeline)
      .values({ customerId, eventId, at, kind: "event", summary: "x", dedupeKey: `event:${eventId}` });
  const park = (eventId: string, queue: string, jobName: string, reason: "crm_timeout" | "upstream_unavailable") =>
    recordFailure(db(), {
      eventId,
      queue,
      jobName,
      jobId: `evt-${eventId}`,
      reason,
      attempts: 8,
      lastError: reason,
      payload: {},
    });
  async function stripeEvent(
    c: { id: string; stripeCustomerId: string | null },
    type: string,
    at: Date,
    complete = true,
  ) {
    const e = await event({
      source: "stripe",
      type: `stripe.${type}`,
      payload: { type, data: { object: { customer: c.stripeCustomerId } } },
      queues: ["billing-sync"],
      at,
    });
    if (complete) {
      await done(e.id, `billing-sync/stripe.${type}`, at);
      await linked(c.id, e.id, at);
    }
    return e;
  }

  it("none: everything synced", async () => {
    const c = await customer("u-none", { entitled: true, plan: "pro", subscriptionStatus: "active" });
    const signup = await appEvent("u-none", "user.signed_up", ["crm-sync"], T(1));
    await done(signup.id, "crm-sync/app.user.signed_up", T(2));
    await linked(c.id, signup.id, T(1));
    const s = await customerStatus(db(), "u-none");
    expect(s).toMatchObject({ entitled: true, plan: "pro", billingStatus: "active", orders: [] });
    expect(s?.systems.crm).toEqual({ state: "in_sync", reason: null, since: T(2).toISOString() });
    expect(s?.nextStep.code).toBe("none");
  });

  it("none while the CRM failed with crm_timeout; in sync again once a later sync completed", async () => {
    const c = await customer("u-crm");
    const signup = await appEvent("u-crm", "user.signed_up", ["crm-sync"], T(1));
    await linked(c.id, signup.id, T(1));
    await park(signup.id, "crm-sync", "app.user.signed_up", "crm_timeout");
    const failed = await customerStatus(db(), "u-crm");
    expect(failed?.systems.crm).toMatchObject({ state: "failed", reason: "crm_timeout" });
    expect(failed?.nextStep.code).toBe("none");
    const change = await stripeEvent({ id: c.id, stripeCustomerId: null }, "invoice.paid", T(5));
    await done(change.id, "crm-sync/switchyard.customer.changed", T(6));
    expect((await customerStatus(db(), "u-crm"))?.systems.crm.state).toBe("in_sync");
  });

  it("update_card after a declined payment, retry_payment when the bank asks to confirm", async () => {
    const c = await customer("u-pay", { stripeCustomerId: "cus_pay", lastPaymentAt: T(1), lastPaymentFailedAt: T(10) });
    await stripeEvent(c, "invoice.paid", T(1));
    await stripeEvent(c, "invoice.payment_failed", T(10));
    expect((await customerStatus(db(), "u-pay"))?.nextStep.code).toBe("update_card");
    await stripeEvent(c, "invoice.payment_action_required", T(20));
    expect((await customerStatus(db(), "u-pay"))?.nextStep.code).toBe("retry_payment");
  });

  it("contact_support when a Stripe event of theirs is parked before billing-sync could link it", async () => {
    const c = await customer("u-billing", { stripeCustomerId: "cus_billing" });
    const e = await stripeEvent(c, "invoice.paid", T(3), false);
    await park(e.id, "billing-sync", "stripe.invoice.paid", "upstream_unavailable");
    const s = await customerStatus(db(), "u-billing");
    expect(s?.systems.billing).toMatchObject({ state: "failed", reason: "upstream_unavailable" });
    expect(s?.nextStep.code).toBe("contact_support");
  });

  it("wait while a support request or a Stripe event of theirs is still being processed", async () => {
    await customer("u-wait", { stripeCustomerId: "cus_wait" });
    await appEvent("u-wait", "support.requested", ["support-context", "ai-triage"], T(4));
    const s = await customerStatus(db(), "u-wait");
    expect(s?.systems.support).toEqual({ state: "pending", reason: null, since: T(4).toISOString() });
    expect(s?.nextStep.code).toBe("wait");
  });

  it("a signup recorded but not yet processed is a known user: CRM pending", async () => {
    await appEvent("u-fresh", "user.signed_up", ["crm-sync"], T(1));
    expect(await customerStatus(db(), "u-fresh")).toMatchObject({
      entitled: false,
      systems: { crm: { state: "pending" } },
      nextStep: { code: "none" },
    });
  });

  it("lists open orders only", async () => {
    const c = await customer("u-orders");
    await db()
      .insert(orders)
      .values([
        { appOrderId: "o-open", buyerCustomerId: c.id, state: "payment_failed", amount: 1200, currency: "usd" },
        { appOrderId: "o-done", buyerCustomerId: c.id, state: "fulfilled", amount: 900, currency: "usd" },
      ]);
    const s = await customerStatus(db(), "u-orders");
    expect(s?.orders.map((o) => [o.orderId, o.state])).toEqual([["o-open", "payment_failed"]]);
  });

  it("knows no user it never saw, and never matches another's id by prefix, case or pattern", async () => {
    for (const id of ["u-nobody", "u-non", "U-NONE", "u-none%", "%", "u_none"]) {
      expect(await customerStatus(db(), id), id).toBeUndefined();
    }
  });

  it("finds an app event by id or Idempotency-Key, never a provider's", async () => {
    const e = await appEvent("u-find", "user.logged_in", [], T(1));
    expect((await findAppEvent(db(), "app", { id: e.id }))?.id).toBe(e.id);
    expect((await findAppEvent(db(), "app", { idempotencyKey: e.sourceEventId }))?.id).toBe(e.id);
    const s = await event({ source: "stripe", type: "stripe.invoice.paid", payload: {}, queues: [], at: T(1) });
    expect(await findAppEvent(db(), "app", { id: s.id })).toBeUndefined();
    expect(await jobStates(db(), [])).toEqual([]);
  });
});
