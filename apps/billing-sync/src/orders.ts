import type { BillingSource } from "@switchyard/connectors";
import {
  applyAccountUpdate,
  applyOrderEvent,
  applyPayoutFailed,
  chargeInputFromStripe,
  chargeOrderInput,
  disputeOrderInput,
  type OrderInput,
  orderCreatedInput,
  orderFulfilledInput,
  paymentIntentInputFromStripe,
  paymentIntentOrderInput,
  sessionOrderInput,
} from "@switchyard/domain";
import {
  type AccountEvent,
  type ChargeEvent,
  type CheckoutSessionCompleted,
  type DisputeEvent,
  type PaymentIntentEvent,
  type PayoutEvent,
  RetryableError,
} from "@switchyard/events";
import { type Alerter, type JobContext, untrusted } from "@switchyard/queue";

interface Opened {
  kind: string;
  summary: string;
}

/** One-off payments, marketplace orders and Connect sellers: thin handlers over packages/domain's orders. */
export function orderHandlers(
  deps: { db: Parameters<typeof applyOrderEvent>[0]; alerter?: Alerter | undefined },
  /** Stripe for this job (under its rollout mode); undefined without a key. */
  stripeFor: (ctx: JobContext) => BillingSource | undefined,
) {
  const { db, alerter } = deps;

  const alert = async (opened: Opened[], ctx: JobContext) => {
    for (const o of opened) {
      if (o.kind !== "dispute_opened" && o.kind !== "payouts_disabled") continue;
      // Only the call that opened the record alerts, so a dispute is one record and one message.
      await alerter?.send(`:warning: Switchyard: ${untrusted(o.summary)}`, { kind: o.kind, eventId: ctx.eventId });
    }
  };

  const supportHears = (customerId: string, step: string, ctx: JobContext) =>
    ctx.emit("support-context", "switchyard.customer.changed", { customerId }, step);

  const apply = async (
    input: OrderInput,
    ctx: JobContext,
    opts: { fromApp?: boolean; waitForOrder?: boolean } = {},
  ) => {
    const outcome = await applyOrderEvent(db, ctx.eventId, ctx.envelope.type, input, opts);
    if (!outcome) {
      // A dispute names only its charge: one retry lets the charge's own event reach the order first.
      if (opts.waitForOrder && ctx.attempt === 1 && ctx.retriesLeft > 0) {
        throw new RetryableError(
          "upstream_unavailable",
          `${ctx.envelope.type}: no order for it yet; waiting for its charge`,
        );
      }
      return { order: null };
    }
    // A later attempt may follow a crash after the order was written but before the CRM heard.
    const again = ctx.attempt > 1;
    if (outcome.buyerId && (outcome.buyerCrmChanged || again)) {
      await ctx.emit("crm-sync", "switchyard.order.changed", { customerId: outcome.buyerId }, "crm-buyer");
    }
    if (outcome.sellerId && (outcome.sellerCrmChanged || again)) {
      await ctx.emit("crm-sync", "switchyard.order.changed", { customerId: outcome.sellerId }, "crm-seller");
    }
    // Their open tickets' context shows the last order: support-context corrects it, or writes nothing.
    if (outcome.buyerId) await supportHears(outcome.buyerId, "support-buyer", ctx);
    if (outcome.sellerId) await supportHears(outcome.sellerId, "support-seller", ctx);
    await alert(outcome.opened, ctx);
    return outcome;
  };

  const checkout = async (e: CheckoutSessionCompleted, ctx: JobContext) => {
    const outcome = await apply(sessionOrderInput(e), ctx);
    const stripe = stripeFor(ctx);
    if (stripe && e.data.object.customer && outcome && "buyerId" in outcome && outcome.buyerId) {
      // The one write to Stripe, as for subscriptions: tag the customer with our id.
      await stripe.linkCustomer(e.data.object.customer, outcome.buyerId, {
        idempotencyKey: ctx.idempotencyKey("link-customer"),
      });
    }
    return outcome;
  };
  const paymentIntent = async (e: PaymentIntentEvent, ctx: JobContext) => {
    const stripe = stripeFor(ctx);
    return apply(stripe ? await paymentIntentInputFromStripe(stripe, e) : paymentIntentOrderInput(e), ctx);
  };
  const charge = async (e: ChargeEvent, ctx: JobContext) => {
    const stripe = stripeFor(ctx);
    return apply(stripe ? await chargeInputFromStripe(stripe, e) : chargeOrderInput(e), ctx);
  };
  const dispute = (e: DisputeEvent, ctx: JobContext) => apply(disputeOrderInput(e), ctx, { waitForOrder: true });

  const connect = async (outcome: Awaited<ReturnType<typeof applyAccountUpdate>>, ctx: JobContext) => {
    if (outcome.sellerId && (outcome.changed || ctx.attempt > 1)) {
      await ctx.emit("crm-sync", "switchyard.order.changed", { customerId: outcome.sellerId }, "crm-seller");
      await supportHears(outcome.sellerId, "support-seller", ctx);
    }
    await alert(outcome.opened, ctx);
    return outcome;
  };

  return {
    /** checkout.session.completed in mode=payment (worker.ts sends the subscription ones to billing). */
    checkout,
    "stripe.checkout.session.async_payment_succeeded": checkout,
    "stripe.checkout.session.async_payment_failed": checkout,
    "stripe.payment_intent.succeeded": paymentIntent,
    "stripe.payment_intent.payment_failed": paymentIntent,
    "stripe.payment_intent.canceled": paymentIntent,
    "stripe.charge.succeeded": charge,
    /** charge.refunded: worker.ts also applies it to a subscriber's billing state. */
    charge,
    "stripe.charge.dispute.created": dispute,
    "stripe.charge.dispute.closed": dispute,
    "stripe.account.updated": async (e: AccountEvent, ctx: JobContext) =>
      connect(await applyAccountUpdate(db, ctx.eventId, e), ctx),
    "stripe.payout.failed": async (e: PayoutEvent, ctx: JobContext) =>
      connect(await applyPayoutFailed(db, ctx.eventId, e), ctx),
    "app.order.created": (e: Parameters<typeof orderCreatedInput>[0], ctx: JobContext) =>
      apply(orderCreatedInput(e, ctx.envelope.receivedAt), ctx, { fromApp: true }),
    "app.order.fulfilled": (e: Parameters<typeof orderFulfilledInput>[0], ctx: JobContext) =>
      apply(orderFulfilledInput(e, ctx.envelope.receivedAt), ctx, { fromApp: true }),
  };
}
