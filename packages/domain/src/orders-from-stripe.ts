import type { BillingSource } from "@switchyard/connectors";
import { ChargeEvent, PaymentIntentEvent } from "@switchyard/events";
import { chargeOrderInput, type OrderInput, paymentIntentOrderInput } from "./order-facts.ts";

/**
 * With a Stripe key the event is the trigger and its kind and time the fact, but the ids, the
 * amounts and the refunds come from the PaymentIntent or Charge as Stripe holds it now, so a late
 * event carries today's order id and today's refunded amount.
 */
export async function paymentIntentInputFromStripe(source: BillingSource, e: PaymentIntentEvent): Promise<OrderInput> {
  const current = PaymentIntentEvent.parse({ ...e, data: { object: await source.paymentIntent(e.data.object.id) } });
  return paymentIntentOrderInput(current);
}

export async function chargeInputFromStripe(source: BillingSource, e: ChargeEvent): Promise<OrderInput> {
  const current = ChargeEvent.parse({ ...e, data: { object: await source.charge(e.data.object.id) } });
  return chargeOrderInput(current);
}
