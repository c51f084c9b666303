import type { BillingSource } from "@switchyard/connectors";
import {
  type ChargeRefunded,
  type CheckoutSessionCompleted,
  InvoiceEvent,
  SubscriptionEvent,
} from "@switchyard/events";
import { type BillingFacts, checkoutFacts, invoiceFacts, refundFacts, subscriptionFacts } from "./billing-facts.ts";

type StripeEventPayload = CheckoutSessionCompleted | SubscriptionEvent | InvoiceEvent | ChargeRefunded;

/** An object read from the API, dressed as an event stamped with the time it was read. */
const asOfNow = (eventId: string, type: string, object: unknown, readAt: Date) => ({
  id: eventId,
  type,
  created: Math.floor(readAt.getTime() / 1000),
  data: { object },
});

/**
 * The event is only a trigger: Stripe's current subscription and invoice are the facts, stamped
 * with the moment they were read, so a late or out-of-order event cannot move state backwards.
 */
export async function factsFromStripe(
  source: BillingSource,
  e: StripeEventPayload,
  now = () => new Date(),
): Promise<BillingFacts[]> {
  const subscriptionNow = async (id: string, keys?: BillingFacts["keys"]) => {
    const sub = await source.subscription(id);
    const facts = subscriptionFacts(
      SubscriptionEvent.parse(asOfNow(e.id, "customer.subscription.updated", sub, now())),
    );
    return keys ? { ...facts, keys: { ...facts.keys, ...pickDefined(keys) } } : facts;
  };
  switch (e.type) {
    case "checkout.session.completed": {
      const session = checkoutFacts(e as CheckoutSessionCompleted);
      const subId = (e as CheckoutSessionCompleted).data.object.subscription;
      if (!subId) return [session];
      const { status: _fromSession, ...identity } = session;
      return [identity, await subscriptionNow(subId, session.keys)];
    }
    case "invoice.paid":
    case "invoice.payment_failed":
    case "invoice.payment_action_required": {
      const event = e as InvoiceEvent;
      const invoice = InvoiceEvent.parse(
        asOfNow(e.id, "invoice.paid", await source.invoice(event.data.object.id), now()),
      );
      const paid = invoice.data.object.status === "paid";
      // A failure the invoice has since recovered from still happened: keep it at its own time.
      const facts = paid ? [invoiceFacts(invoice)] : e.type === "invoice.paid" ? [] : [invoiceFacts(event)];
      const subId = invoice.data.object.subscription;
      if (!subId) return facts.length ? facts : [invoiceFacts(event)];
      return [...facts.map(({ status: _s, ...rest }) => rest), await subscriptionNow(subId)];
    }
    case "charge.refunded":
      return [refundFacts(e as ChargeRefunded)];
    default:
      return [await subscriptionNow((e as SubscriptionEvent).data.object.id)];
  }
}

function pickDefined(keys: BillingFacts["keys"]): Partial<BillingFacts["keys"]> {
  return Object.fromEntries(Object.entries(keys).filter(([, v]) => v !== null && v !== undefined));
}
