import { randomUUID } from "node:crypto";
import { eq, schema } from "@switchyard/db";
import { type MigratedDatabase, migratedTestDatabase } from "@switchyard/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveReview, type Proposal, proposeAction } from "./actions.ts";
import { payingCustomer } from "./testing/customers.ts";

/** The refund policy against the orders Switchyard keeps: open disputes, order state, what is left to refund. */
describe("the action gateway reads orders and disputes", () => {
  let database: MigratedDatabase;
  beforeAll(async () => {
    database = await migratedTestDatabase("action_orders");
  });
  afterAll(() => database?.close());
  const db = () => database.handle.db;

  const customer = (over: Partial<typeof schema.customers.$inferInsert> = {}) => payingCustomer(db(), "pi", over);
  /** An order as the state machine leaves it; its PaymentIntent is the customer's last payment unless told. */
  async function order(
    c: { id: string; lastPaymentTransactionId: string | null },
    over: Partial<typeof schema.orders.$inferInsert>,
  ) {
    const [row] = await db()
      .insert(schema.orders)
      .values({
        appOrderId: `o-${randomUUID()}`,
        paymentIntentId: c.lastPaymentTransactionId,
        chargeId: `ch_${randomUUID().replaceAll("-", "")}`,
        buyerCustomerId: c.id,
        amount: 4_900,
        currency: "usd",
        state: "paid",
        ...over,
      })
      .returning();
    if (!row) throw new Error("no order");
    return row;
  }
  const decide = async (p: Partial<Proposal> & { customer: string }) => {
    const r = await proposeAction(
      db(),
      { type: "refund", params: { amount: 4_900 }, proposedBy: "model", ...p },
      { source: "app", idempotencyKey: randomUUID() },
    );
    if (r.kind !== "recorded") throw new Error("conflict");
    return r.action;
  };

  it("rejects a refund while any of the customer's orders has an open dispute", async () => {
    const c = await customer();
    await order(c, {});
    await order(c, { paymentIntentId: null, state: "disputed", disputeId: "dp_1" });
    expect(await decide({ customer: c.id })).toMatchObject({ decision: "rejected", decisionCode: "open_dispute" });
    const d = await customer();
    await order(d, { state: "disputed" });
    expect((await decide({ customer: d.id, params: { amount: 100 } })).decisionCode).toBe("open_dispute");
    // A dispute that closed no longer blocks: won, the payment can be refunded; lost, it went back already.
    const won = await customer();
    await order(won, { state: "dispute_won" });
    expect((await decide({ customer: won.id })).decision).toBe("queued_for_review");
    const lost = await customer();
    await order(lost, { state: "dispute_lost" });
    expect((await decide({ customer: lost.id })).decisionCode).toBe("charged_back");
  });

  it("bounds a refund by its order: refunded, not paid yet, and the amount left", async () => {
    const refunded = await customer();
    await order(refunded, { state: "refunded", amountRefunded: 4_900 });
    expect((await decide({ customer: refunded.id, params: { amount: 1 } })).decisionCode).toBe("already_refunded");
    for (const state of ["pending", "payment_failed", "canceled"] as const) {
      const c = await customer();
      await order(c, { state });
      expect((await decide({ customer: c.id })).decisionCode).toBe("order_not_paid");
    }
    // Partly refunded (the customer's last refund is after the payment): what is left can still be refunded.
    const partly = await customer({ lastRefundAt: new Date() });
    const o = await order(partly, { state: "partially_refunded", amountRefunded: 1_900 });
    expect((await decide({ customer: partly.id, params: { amount: 3_001 } })).decisionCode).toBe("exceeds_amount_paid");
    const ok = await decide({ customer: partly.id, params: { amount: 3_000, paymentId: o.chargeId ?? "" } });
    expect(ok).toMatchObject({ decision: "queued_for_review", status: "awaiting_review" });
    // While that one waits, another refund of the order is refused; one that ran before the order's last fact is counted in it.
    expect((await decide({ customer: partly.id, params: { amount: 100 } })).decisionCode).toBe("refund_pending");
    const settled = await customer();
    const before = new Date(Date.now() - 60_000);
    await db()
      .insert(schema.actions)
      .values({
        source: "app",
        idempotencyKey: randomUUID(),
        payloadHash: "h",
        type: "refund",
        customerRef: settled.id,
        customerId: settled.id,
        params: { amount: 1_000 },
        proposedBy: "user",
        risk: "privileged",
        decision: "queued_for_review",
        status: "executed",
        createdAt: before,
        updatedAt: before,
      });
    await order(settled, { state: "partially_refunded", amountRefunded: 1_000 });
    expect((await decide({ customer: settled.id, params: { amount: 3_900 } })).decision).toBe("queued_for_review");
    // Approval checks the order again: an edit above what is left is refused.
    const [item] = await db().select().from(schema.reviewItems).where(eq(schema.reviewItems.actionId, ok.id));
    expect(
      await approveReview(db(), item?.id ?? "", { actor: "ops", note: "ok", params: { amount: 3_100 } }),
    ).toMatchObject({
      kind: "refused",
      code: "exceeds_amount_paid",
    });
  });

  it("refunds an earlier order of the customer's by its payment, never another customer's", async () => {
    const c = await customer();
    const earlier = await order(c, { paymentIntentId: null, amount: 12_000, state: "fulfilled" });
    const a = await decide({ customer: c.id, params: { amount: 12_000, paymentId: earlier.chargeId ?? "" } });
    expect(a.decision).toBe("queued_for_review");
    const other = await customer();
    const theirs = await order(other, {});
    const b = await decide({ customer: c.id, params: { amount: 100, paymentId: theirs.chargeId ?? "" } });
    expect(b.decisionCode).toBe("unknown_payment");
    // An invoice id other than the last one's stands for no order: the run would refund the last payment instead.
    await order(c, {});
    expect((await decide({ customer: c.id, params: { amount: 100, paymentId: "in_another" } })).decisionCode).toBe(
      "unknown_payment",
    );
    // A payment with no order keeps the customer-level checks.
    const plain = await customer();
    expect((await decide({ customer: plain.id, params: { amount: 4_901 } })).decisionCode).toBe("exceeds_amount_paid");
    expect((await decide({ customer: plain.id })).decision).toBe("queued_for_review");
  });

  it("rejects a plan change or cancellation for a customer with no subscription", async () => {
    const c = await customer({ stripeSubscriptionId: null, subscriptionStatus: null });
    const plan = await decide({ customer: c.id, type: "change_plan", params: { plan: "enterprise" } });
    expect(plan).toMatchObject({ decision: "rejected", decisionCode: "no_subscription" });
    const cancel = await decide({ customer: c.id, type: "cancel_subscription", params: {} });
    expect(cancel).toMatchObject({ decision: "rejected", decisionCode: "no_subscription" });
  });
});
