import { PermanentError } from "@switchyard/events";
import { FakeStripe, rejectionOf } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stripeActions } from "./stripe-actions.ts";

/** The stripe package's own client against the fake, which keeps refunds and idempotency keys as Stripe does. */
describe("Stripe billing actions against the fake", () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await FakeStripe.start({ secretKey: "sk_test_actions" });
    fake.setSubscription({ id: "sub_1", customer: "cus_1", status: "active", plan: "pro" });
    fake.money.setPrice({ id: "price_ent", lookupKey: "enterprise" });
    fake.money.setCharge({ id: "ch_1", amount: 4_900, customer: "cus_1", paymentIntent: "pi_1" });
    fake.money.setCharge({ id: "ch_2", amount: 1_000, customer: "cus_1" });
  });
  afterAll(() => fake.close());
  const billing = () => stripeActions({ secretKey: "sk_test_actions", apiBase: fake.url, timeoutMs: 2_000 });

  it("refunds once per idempotency key, however often the call is repeated, and answers the same refund", async () => {
    const call = { idempotencyKey: "action-a1" };
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await billing().refund({ transactionId: "ch_1", amount: 2_000 }, call));
    expect(new Set(answers.map((a) => a.refundId)).size).toBe(1);
    expect(fake.money.refunds).toHaveLength(1);
    expect(fake.money.refunds[0]).toMatchObject({ charge: "ch_1", amount: 2_000 });
    expect(fake.writesFor("action-a1")).toHaveLength(3);
    // Another key is another refund, up to what is left on the charge, found by its payment intent.
    await billing().refund({ transactionId: "pi_1", amount: 2_900 }, { idempotencyKey: "action-a2" });
    expect(fake.money.charges.get("ch_1")).toMatchObject({ amount_refunded: 4_900, refunded: true });
  });

  it("is refused as Stripe refuses: more than is left, an already refunded charge, a key reused with other parameters", async () => {
    const tooMuch = await rejectionOf(
      billing().refund({ transactionId: "ch_2", amount: 1_001 }, { idempotencyKey: "k-1" }),
    );
    expect(tooMuch).toBeInstanceOf(PermanentError);
    expect((tooMuch as Error).message).toContain("amount_too_large");
    const again = await rejectionOf(billing().refund({ transactionId: "ch_1", amount: 1 }, { idempotencyKey: "k-2" }));
    expect((again as Error).message).toContain("charge_already_refunded");
    await billing().refund({ transactionId: "ch_2", amount: 100 }, { idempotencyKey: "k-3" });
    const reused = await rejectionOf(
      billing().refund({ transactionId: "ch_2", amount: 200 }, { idempotencyKey: "k-3" }),
    );
    expect((reused as Error).message).toMatch(/idempotency/i);
    expect(fake.money.refunds.filter((r) => r.charge === "ch_2").map((r) => r.amount)).toEqual([100]);
  });

  it("changes the plan to the price of that lookup key, and cancels at the period's end, each once per key", async () => {
    await billing().changeSubscription("sub_1", { plan: "enterprise" }, { idempotencyKey: "action-p1" });
    await billing().changeSubscription("sub_1", { plan: "enterprise" }, { idempotencyKey: "action-p1" });
    await billing().changeSubscription("sub_1", { cancelAtPeriodEnd: true }, { idempotencyKey: "action-c1" });
    expect(fake.money.subscriptionUpdates.map((u) => u.idempotencyKey)).toEqual(["action-p1", "action-c1"]);
    expect(fake.subscriptions.get("sub_1")).toMatchObject({
      cancel_at_period_end: true,
      items: { data: [{ id: "si_1", price: { id: "price_ent", lookup_key: "enterprise" } }] },
    });
    const unknown = await rejectionOf(
      billing().changeSubscription("sub_1", { plan: "galaxy" }, { idempotencyKey: "action-p2" }),
    );
    expect((unknown as Error).message).toContain("no active Stripe price for plan galaxy");
  });
});
