import type { Config } from "@switchyard/config";
import { type BillingSource, rolloutBilling, rolloutFromConfig, stripeBilling } from "@switchyard/connectors";
import {
  applyBillingFacts,
  type BillingFacts,
  type BillingOutcome,
  checkoutFacts,
  deliverBillingFacts,
  factsFromStripe,
  invoiceFacts,
  refundFacts,
  subscriptionFacts,
} from "@switchyard/domain";
import type { ChargeRefunded, CheckoutSessionCompleted, InvoiceEvent, SubscriptionEvent } from "@switchyard/events";
import { ALREADY_DELIVERED, defineWorker, delivered, type JobContext } from "@switchyard/queue";
import { orderHandlers } from "./orders.ts";

type StripePayload = CheckoutSessionCompleted | SubscriptionEvent | InvoiceEvent | ChargeRefunded;

/** The follow-up jobs a billing change owes the CRM and the support desk. */
interface FollowUps {
  crm: boolean;
  support: boolean;
}

/** The jobs whose handler starts and completes its own delivery (deliverBillingFacts). */
const OWNED = [
  "stripe.customer.subscription.created",
  "stripe.customer.subscription.updated",
  "stripe.customer.subscription.deleted",
  "stripe.customer.subscription.paused",
  "stripe.customer.subscription.resumed",
  "stripe.invoice.paid",
  "stripe.invoice.payment_failed",
  "stripe.invoice.payment_action_required",
] as const;

/**
 * A subscription checkout owns its ledger unless a Stripe key is set: then the customer is tagged
 * in Stripe too, a write that must happen before the delivery completes, which the runtime does.
 * A one-off payment's checkout is an order's (orders.ts).
 */
const checkoutOwned = (e: CheckoutSessionCompleted, config: Config) =>
  e.data.object.mode !== "payment" && !config.STRIPE_SECRET_KEY;

/** Stripe events -> the customer's canonical billing state; lifecycle or plan changes go on to the CRM. */
export const billingSync = defineWorker(
  "billing-sync",
  ({ db, config, alerter }) => {
    // With a key, Stripe's current objects are the truth and the event only a trigger.
    const stripe = config.STRIPE_SECRET_KEY
      ? stripeBilling({
          secretKey: config.STRIPE_SECRET_KEY,
          apiBase: config.STRIPE_API_BASE,
          timeoutMs: config.PROVIDER_TIMEOUT_MS,
        })
      : undefined;
    // Under ROLLOUT_MODES the Stripe write may be recorded instead of made, or skipped; the
    // customer's billing state is Switchyard's own and is applied in every mode (docs/ROLLOUT.md).
    const rollout = rolloutFromConfig(config);
    const stripeFor = (ctx: JobContext): BillingSource | undefined =>
      stripe && rolloutBilling(db, stripe, rollout, rollout.scope("billing-sync", ctx.envelope.source, ctx.eventId));

    /** Which follow-ups a change owes: all of them after a run that may have crashed before sending them. */
    const owed = (outcome: BillingOutcome, facts: BillingFacts | BillingFacts[], again: boolean): FollowUps => ({
      crm: outcome.crmRelevant || again,
      // Whatever a ticket's context note shows may have moved (status, plan, a payment, a refund):
      // support-context corrects the customer's open tickets, and writes nothing if the facts held.
      support:
        outcome.stateChanged || [facts].flat().some((f) => f.payment || f.paymentFailedAt || f.refundedAt) || again,
    });
    const send = async (customerId: string, to: FollowUps, ctx: JobContext) => {
      if (to.crm) await ctx.emit("crm-sync", "switchyard.customer.changed", { customerId }, "crm");
      if (to.support) await ctx.emit("support-context", "switchyard.customer.changed", { customerId }, "support");
    };

    const apply = async (e: StripePayload, fromEvent: () => BillingFacts, ctx: JobContext) => {
      const facts = stripe ? await factsFromStripe(stripe, e) : fromEvent();
      // Only the first run waits for a link, and never the last: a Stripe customer nobody signed up
      // for (made in the dashboard) still lands, one backoff later.
      const outcome = await applyBillingFacts(db, ctx.eventId, ctx.envelope.type, facts, {
        waitForLink: ctx.attempt === 1 && ctx.retriesLeft > 0,
      });
      if (stripe && e.type === "checkout.session.completed" && e.data.object.customer) {
        // The one write to Stripe: tag the customer with our id, under a key this event always derives.
        await stripeFor(ctx)?.linkCustomer(e.data.object.customer, outcome.customerId, {
          idempotencyKey: ctx.idempotencyKey("link-customer"),
        });
      }
      // A later attempt may follow a crash after the state was written but before the CRM heard.
      await send(outcome.customerId, owed(outcome, facts, ctx.attempt > 1), ctx);
      return outcome;
    };

    /**
     * A subscription change, an invoice or a subscription checkout (checkoutOwned), its delivery
     * started by the customer's read and completed by the write (deliverBillingFacts, which also
     * creates a customer none of whose keys it finds), which records the follow-ups owed. They are
     * sent after that commit, so a job that finds its delivery completed sends them again (each is
     * deduplicated by its job id and by its own delivery): the run before may have crashed between.
     * Stripe's current objects are read only once the delivery has started.
     */
    const deliver = async (e: StripePayload, fromEvent: () => BillingFacts, ctx: JobContext) => {
      const done = await deliverBillingFacts(db, ctx.delivery, ctx.envelope.type, fromEvent(), {
        ...(stripe ? { facts: () => factsFromStripe(stripe, e) } : {}),
        waitForLink: (attempt) => attempt === 1 && ctx.retriesLeft > 0,
        record: (outcome, facts, attempt) => ({ followUps: owed(outcome, facts, attempt > 1) }),
      });
      if (done.attempt === undefined) {
        const previous = done.previous;
        // One completed before its follow-ups were recorded holds the outcome alone.
        if (previous?.customerId) await send(previous.customerId, previous.followUps ?? owed(previous, [], false), ctx);
        return ALREADY_DELIVERED;
      }
      await send(done.outcome.customerId, done.recorded.followUps, ctx);
      return delivered(done.outcome, done.completion, done.attempt);
    };
    const { checkout, charge, ...orders } = orderHandlers({ db, alerter }, stripeFor);
    const subscription = (e: SubscriptionEvent, ctx: JobContext) => deliver(e, () => subscriptionFacts(e), ctx);
    const invoice = (e: InvoiceEvent, ctx: JobContext) => deliver(e, () => invoiceFacts(e), ctx);
    return {
      "stripe.checkout.session.completed": (e, ctx) => {
        if (checkoutOwned(e, config)) return deliver(e, () => checkoutFacts(e), ctx);
        return e.data.object.mode === "payment" ? checkout(e, ctx) : apply(e, () => checkoutFacts(e), ctx);
      },
      "stripe.customer.subscription.created": subscription,
      "stripe.customer.subscription.updated": subscription,
      "stripe.customer.subscription.deleted": subscription,
      "stripe.customer.subscription.paused": subscription,
      "stripe.customer.subscription.resumed": subscription,
      "stripe.invoice.paid": invoice,
      "stripe.invoice.payment_failed": invoice,
      "stripe.invoice.payment_action_required": invoice,
      "stripe.charge.refunded": async (e, ctx) => {
        // A subscriber's refund moves their billing state; an order's refund moves the order.
        const order = await charge(e, ctx);
        return e.data.object.customer ? apply(e, () => refundFacts(e), ctx) : order;
      },
      ...orders,
    };
  },
  { ownsLedger: OWNED, ownsLedgerWhen: { "stripe.checkout.session.completed": checkoutOwned } },
);
