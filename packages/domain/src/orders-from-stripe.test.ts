import { stripeBilling } from "@switchyard/connectors";
import { ChargeEvent, PaymentIntentEvent } from "@switchyard/events";
import {
  chargeEvent,
  chargeObject,
  FakeStripe,
  orderFixture,
  paymentIntentEvent,
  paymentIntentObject,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chargeInputFromStripe, paymentIntentInputFromStripe } from "./orders-from-stripe.ts";

describe("order inputs read from Stripe with a key", () => {
  const fake = new FakeStripe();
  let source: ReturnType<typeof stripeBilling>;
  beforeAll(async () => {
    await fake.start();
    source = stripeBilling({ secretKey: fake.secretKey, apiBase: fake.url, timeoutMs: 5_000 });
  });
  afterAll(() => fake.close());

  it("takes the PaymentIntent's current ids and amounts, and the event's kind and time", async () => {
    const o = orderFixture({ buyer: { userId: "u-1", email: "one@example.com" }, amount: 3_000 });
    // The event was sent before the app set metadata.order_id; Stripe holds it now.
    const event = PaymentIntentEvent.parse({
      ...paymentIntentEvent(o, "payment_intent.succeeded", 1_800_000_000),
      data: { object: { ...paymentIntentObject(o, "succeeded"), metadata: {} } },
    });
    fake.setPaymentIntent(paymentIntentObject(o, "succeeded"));
    const input = await paymentIntentInputFromStripe(source, event);
    expect(input.refs).toEqual({ appOrderId: o.orderId, paymentIntentId: o.paymentIntent, chargeId: o.charge });
    expect(input).toMatchObject({ amount: 3_000, facts: [{ kind: "paid", at: 1_800_000_000_000 }] });
    expect(fake.received.some((r) => r.path === `/v1/payment_intents/${o.paymentIntent}`)).toBe(true);
  });

  it("takes the charge's refunded amount as Stripe has it now", async () => {
    const o = orderFixture({ buyer: { userId: "u-2", email: "two@example.com" }, amount: 3_000 });
    const event = ChargeEvent.parse(
      chargeEvent(o, "charge.refunded", { created: 1_800_000_100, amountRefunded: 1_000 }),
    );
    fake.setCharge(chargeObject(o, 3_000));
    const input = await chargeInputFromStripe(source, event);
    expect(input.facts).toEqual([{ kind: "refunded", at: 1_800_000_100_000, amountRefunded: 3_000, amount: 3_000 }]);
  });

  it("a PaymentIntent Stripe does not know is refused as Stripe refuses it", async () => {
    const o = orderFixture({ buyer: { userId: "u-3", email: "three@example.com" } });
    const event = PaymentIntentEvent.parse(paymentIntentEvent(o, "payment_intent.succeeded"));
    await expect(paymentIntentInputFromStripe(source, event)).rejects.toMatchObject({ reason: "invalid_payload" });
  });
});
