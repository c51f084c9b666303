import { eq, schema } from "@switchyard/db";
import { checkoutCompleted, FakeStripe, signStripe, subscriptionUpdated } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEYS, type System, startSystem } from "./testing/system.ts";

const T0 = Math.floor(Date.now() / 1000) - 3_600;

describe("billing-sync with a Stripe key: Stripe is the source of truth", () => {
  let sys: System;
  let stripe: FakeStripe;
  beforeAll(async () => {
    stripe = await FakeStripe.start({ secretKey: "sk_test_e2e_key" });
    sys = await startSystem({
      label: "stripeapi",
      env: {
        STRIPE_SECRET_KEY: "sk_test_e2e_key",
        STRIPE_API_BASE: stripe.url,
        PROVIDER_TIMEOUT_MS: "300",
        RETRY_ATTEMPTS: "3",
        RETRY_BACKOFF_MS: "20",
      },
    });
  });
  afterAll(async () => {
    await sys.close();
    await stripe.close();
  });

  const post = (event: object) => sys.post("/webhooks/stripe", signStripe({ payload: event, secret: KEYS.stripe }));
  const customer = async (stripeId: string) =>
    (await sys.dbHandle.db.select().from(schema.customers).where(eq(schema.customers.stripeCustomerId, stripeId)))[0];

  it("two subscription events delivered in reverse order end in the state Stripe reports", async () => {
    stripe.setSubscription({
      id: "sub_r",
      customer: "cus_r",
      status: "active",
      plan: "team",
      currentPeriodEnd: T0 + 30 * 86_400,
    });
    const older = subscriptionUpdated({
      customer: "cus_r",
      subscription: "sub_r",
      status: "past_due",
      plan: "pro",
      created: T0,
    });
    const newer = subscriptionUpdated({
      customer: "cus_r",
      subscription: "sub_r",
      status: "active",
      plan: "team",
      created: T0 + 100,
    });
    await post(newer);
    await sys.waitForIdle();
    await post(older);
    await sys.waitForIdle();
    expect(await customer("cus_r")).toMatchObject({ subscriptionStatus: "active", plan: "team", entitled: true });

    // Even events that both say otherwise cannot override what Stripe reports now.
    stripe.setSubscription({ id: "sub_r", customer: "cus_r", status: "canceled", plan: "team" });
    await post(
      subscriptionUpdated({
        customer: "cus_r",
        subscription: "sub_r",
        status: "active",
        plan: "team",
        created: T0 + 200,
      }),
    );
    await sys.waitForIdle();
    expect(await customer("cus_r")).toMatchObject({ subscriptionStatus: "canceled", entitled: false });
  });

  it("a re-delivered event and a re-driven job send the same Idempotency-Key; Stripe records one write", async () => {
    stripe.setSubscription({ id: "sub_k", customer: "cus_k", status: "active", plan: "pro" });
    // The first write reaches Stripe but its answer comes too late: the job retries the same write.
    stripe.fail({ match: /^POST \/v1\/customers\/cus_k/, latencyMs: 700, times: 1 });
    const checkout = checkoutCompleted({
      customer: "cus_k",
      subscription: "sub_k",
      userId: "u-k",
      email: "k@example.com",
      created: T0,
    });
    const first = await post(checkout);
    expect(first.status).toBe(202);
    expect((await post(checkout)).status).toBe(200);
    const { eventId } = (await first.json()) as { eventId: string };
    await sys.waitForIdle();

    const key = `${eventId}-link-customer`;
    expect(stripe.writesFor(key).length).toBe(2);
    expect(stripe.appliedWrites.filter((w) => w.idempotencyKey === key)).toHaveLength(1);
    const c = await customer("cus_k");
    expect(stripe.customers.get("cus_k")?.metadata).toEqual({ switchyard_customer_id: c?.id });
    expect(c).toMatchObject({ externalId: "u-k", subscriptionStatus: "active", entitled: true });
    const [delivery] = await sys.dbHandle.db
      .select()
      .from(schema.deliveries)
      .where(eq(schema.deliveries.eventId, eventId));
    expect(delivery).toMatchObject({ status: "completed", attempts: 2 });
  });
});
