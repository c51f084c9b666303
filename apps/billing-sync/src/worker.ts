import { stripeBilling } from "@switchyard/connectors";
import {
  applyBillingFacts,
  type BillingFacts,
  checkoutFacts,
  factsFromStripe,
  invoiceFacts,
  refundFacts,
  subscriptionFacts,
} from "@switchyard/domain";
import type { ChargeRefunded, CheckoutSessionCompleted, InvoiceEvent, SubscriptionEvent } from "@switchyard/events";
import { defineWorker, type JobContext } from "@switchyard/queue";

type StripePayload = CheckoutSessionCompleted | SubscriptionEvent | InvoiceEvent | ChargeRefunded;

/** Stripe events -> the customer's canonical billing state; lifecycle or plan changes go on to the CRM. */
export const billingSync = defineWorker("billing-sync", ({ db, config }) => {
  // With a key, Stripe's current objects are the truth and the event only a trigger.
  const stripe = config.STRIPE_SECRET_KEY
    ? stripeBilling({
        secretKey: config.STRIPE_SECRET_KEY,
        apiBase: config.STRIPE_API_BASE,
        timeoutMs: config.PROVIDER_TIMEOUT_MS,
      })
    : undefined;

  const apply = async (e: StripePayload, fromEvent: () => BillingFacts, ctx: JobContext) => {
    const facts = stripe ? await factsFromStripe(stripe, e) : fromEvent();
    // Only the first run waits for a link, and never the last: a Stripe customer nobody signed up
    // for (made in the dashboard) still lands, one backoff later.
    const outcome = await applyBillingFacts(db, ctx.eventId, ctx.envelope.type, facts, {
      waitForLink: ctx.attempt === 1 && ctx.retriesLeft > 0,
    });
    if (stripe && e.type === "checkout.session.completed" && e.data.object.customer) {
      // The one write to Stripe: tag the customer with our id, under a key this event always derives.
      await stripe.linkCustomer(e.data.object.customer, outcome.customerId, {
        idempotencyKey: ctx.idempotencyKey("link-customer"),
      });
    }
    // A later attempt may follow a crash after the state was written but before the CRM heard.
    if (outcome.crmRelevant || ctx.attempt > 1) {
      await ctx.emit("crm-sync", "switchyard.customer.changed", { customerId: outcome.customerId }, "crm");
    }
    return outcome;
  };
  const subscription = (e: SubscriptionEvent, ctx: JobContext) => apply(e, () => subscriptionFacts(e), ctx);
  const invoice = (e: InvoiceEvent, ctx: JobContext) => apply(e, () => invoiceFacts(e), ctx);
  return {
    "stripe.checkout.session.completed": (e, ctx) => apply(e, () => checkoutFacts(e), ctx),
    "stripe.customer.subscription.created": subscription,
    "stripe.customer.subscription.updated": subscription,
    "stripe.customer.subscription.deleted": subscription,
    "stripe.customer.subscription.paused": subscription,
    "stripe.customer.subscription.resumed": subscription,
    "stripe.invoice.paid": invoice,
    "stripe.invoice.payment_failed": invoice,
    "stripe.invoice.payment_action_required": invoice,
    "stripe.charge.refunded": (e, ctx) => apply(e, () => refundFacts(e), ctx),
  };
});
