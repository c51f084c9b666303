import {
  applyBillingFacts,
  type BillingFacts,
  checkoutFacts,
  invoiceFacts,
  refundFacts,
  subscriptionFacts,
} from "@switchyard/domain";
import { defineWorker, type JobContext } from "@switchyard/queue";

/** Stripe events -> the customer's canonical billing state; lifecycle or plan changes go on to the CRM. */
export const billingSync = defineWorker("billing-sync", ({ db }) => {
  const apply = async (facts: BillingFacts, ctx: JobContext) => {
    const outcome = await applyBillingFacts(db, ctx.eventId, ctx.envelope.type, facts);
    // A later attempt may follow a crash after the state was written but before the CRM heard.
    if (outcome.crmRelevant || ctx.attempt > 1) {
      await ctx.emit("crm-sync", "switchyard.customer.changed", { customerId: outcome.customerId }, "crm");
    }
    return outcome;
  };
  return {
    "stripe.checkout.session.completed": (e, ctx) => apply(checkoutFacts(e), ctx),
    "stripe.customer.subscription.created": (e, ctx) => apply(subscriptionFacts(e), ctx),
    "stripe.customer.subscription.updated": (e, ctx) => apply(subscriptionFacts(e), ctx),
    "stripe.customer.subscription.deleted": (e, ctx) => apply(subscriptionFacts(e), ctx),
    "stripe.customer.subscription.paused": (e, ctx) => apply(subscriptionFacts(e), ctx),
    "stripe.customer.subscription.resumed": (e, ctx) => apply(subscriptionFacts(e), ctx),
    "stripe.invoice.paid": (e, ctx) => apply(invoiceFacts(e), ctx),
    "stripe.invoice.payment_failed": (e, ctx) => apply(invoiceFacts(e), ctx),
    "stripe.invoice.payment_action_required": (e, ctx) => apply(invoiceFacts(e), ctx),
    "stripe.charge.refunded": (e, ctx) => apply(refundFacts(e), ctx),
  };
});
