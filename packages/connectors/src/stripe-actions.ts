import { PermanentError } from "@switchyard/events";
import type Stripe from "stripe";
import { type StripeBillingOptions, stripeClient, stripeFailure } from "./stripe-billing.ts";

/** A change to a subscription the action gateway may make, once a person approved it. */
export type SubscriptionChange =
  | { plan: string }
  | { cancelAtPeriodEnd: boolean }
  | { extendTrialDays: number }
  | { coupon: string };

/** Every call carries the idempotency key derived from the action id: Stripe applies it once. */
export interface ActionCall {
  idempotencyKey: string;
}

/** The billing writes approved actions make: refunds, subscription changes, receipts. */
export interface BillingActions {
  readonly name: string;
  refund(
    input: { transactionId: string; amount: number },
    call: ActionCall,
  ): Promise<{ refundId: string; amount: number }>;
  changeSubscription(subscriptionId: string, change: SubscriptionChange, call: ActionCall): Promise<{ status: string }>;
  resendReceipt(transactionId: string, email: string, call: ActionCall): Promise<void>;
}

const unavailable = (): never => {
  throw new PermanentError("auth_failed", "STRIPE_SECRET_KEY is not set: billing actions need Stripe");
};

/** Without a Stripe key nothing can move money: each approved billing action fails, parked, visible. */
export const noBillingActions: BillingActions = {
  name: "none",
  refund: unavailable,
  changeSubscription: unavailable,
  resendReceipt: unavailable,
};

export function stripeActions(opts: StripeBillingOptions): BillingActions {
  const client = stripeClient(opts);
  const guard = async <T>(fn: (stripe: Stripe) => Promise<T>): Promise<T> => {
    try {
      return await fn(await client());
    } catch (err) {
      throw stripeFailure(err);
    }
  };
  /** Stripe refunds a charge or a payment intent; Switchyard keeps whichever paid the invoice. */
  const target = (id: string) =>
    id.startsWith("ch_") || id.startsWith("py_") ? { charge: id } : { payment_intent: id };
  return {
    name: "stripe",
    refund: ({ transactionId, amount }, call) =>
      guard(async (stripe) => {
        const refund = await stripe.refunds.create(
          { ...target(transactionId), amount, reason: "requested_by_customer" },
          { idempotencyKey: call.idempotencyKey },
        );
        return { refundId: refund.id, amount: refund.amount };
      }),
    changeSubscription: (subscriptionId, change, call) =>
      guard(async (stripe) => {
        let params: Stripe.SubscriptionUpdateParams;
        if ("plan" in change) {
          const sub = await stripe.subscriptions.retrieve(subscriptionId);
          const item = sub.items.data[0];
          const prices = await stripe.prices.list({ lookup_keys: [change.plan], active: true, limit: 1 });
          const price = prices.data[0];
          if (!item || !price)
            throw new PermanentError("invalid_payload", `no active Stripe price for plan ${change.plan}`);
          params = { items: [{ id: item.id, price: price.id }], proration_behavior: "create_prorations" };
        } else if ("cancelAtPeriodEnd" in change) {
          params = { cancel_at_period_end: change.cancelAtPeriodEnd };
        } else if ("extendTrialDays" in change) {
          const sub = await stripe.subscriptions.retrieve(subscriptionId);
          const from = sub.trial_end ?? Math.floor(Date.now() / 1000);
          params = { trial_end: from + change.extendTrialDays * 86_400, proration_behavior: "none" };
        } else {
          params = { discounts: [{ coupon: change.coupon }] };
        }
        const updated = await stripe.subscriptions.update(subscriptionId, params, {
          idempotencyKey: call.idempotencyKey,
        });
        return { status: updated.status };
      }),
    resendReceipt: (transactionId, email, call) =>
      guard(async (stripe) => {
        // Stripe sends a receipt whenever a charge's receipt_email is updated.
        const charge = transactionId.startsWith("pi_")
          ? ((await stripe.paymentIntents.retrieve(transactionId)).latest_charge as string | null)
          : transactionId;
        if (!charge) throw new PermanentError("invalid_payload", `payment ${transactionId} has no charge`);
        await stripe.charges.update(charge, { receipt_email: email }, { idempotencyKey: call.idempotencyKey });
      }),
  };
}
