import { randomBytes } from "node:crypto";
import { stripeEvent } from "./fixtures.ts";

const rid = (prefix: string) => `${prefix}_${randomBytes(8).toString("hex")}`;

/** One marketplace purchase: the ids Stripe would give its objects, and the app's order id. */
export interface OrderFixture {
  orderId: string;
  session: string;
  paymentIntent: string;
  charge: string;
  customer: string;
  buyer: { userId: string; email: string; name?: string };
  seller?: { userId: string; email: string; name?: string; stripeAccountId: string };
  amount: number;
  currency: string;
  applicationFee?: number;
}

export function orderFixture(o: Partial<OrderFixture> & { buyer: OrderFixture["buyer"] }): OrderFixture {
  return {
    orderId: o.orderId ?? rid("ord"),
    session: o.session ?? rid("cs_test"),
    paymentIntent: o.paymentIntent ?? rid("pi"),
    charge: o.charge ?? rid("ch"),
    customer: o.customer ?? rid("cus"),
    amount: o.amount ?? 2_500,
    currency: o.currency ?? "usd",
    ...o,
  };
}

/** What the app posts on POST /v1/events when the order is placed. */
export function orderCreatedEvent(o: OrderFixture) {
  return {
    type: "order.created",
    data: {
      orderId: o.orderId,
      buyer: o.buyer,
      ...(o.seller ? { seller: o.seller } : {}),
      items: [{ sku: "sku_poster", name: "Poster", quantity: 1, unitAmount: o.amount }],
      amount: o.amount,
      currency: o.currency,
      ...(o.applicationFee !== undefined ? { applicationFee: o.applicationFee } : {}),
    },
  };
}

const metadata = (o: OrderFixture) => ({ order_id: o.orderId });
const destination = (o: OrderFixture) =>
  o.seller
    ? {
        application_fee_amount: o.applicationFee ?? null,
        transfer_data: { destination: o.seller.stripeAccountId },
        on_behalf_of: null,
      }
    : { application_fee_amount: null, transfer_data: null, on_behalf_of: null };

/** A Checkout Session object (docs.stripe.com/api/checkout/sessions/object) in mode=payment. */
export function paymentSession(o: OrderFixture, paymentStatus: "paid" | "unpaid" = "paid") {
  return {
    id: o.session,
    object: "checkout.session",
    mode: "payment",
    status: "complete",
    payment_status: paymentStatus,
    amount_total: o.amount,
    currency: o.currency,
    customer: o.customer,
    customer_email: null,
    customer_details: { email: o.buyer.email, name: o.buyer.name ?? null },
    client_reference_id: o.buyer.userId,
    payment_intent: o.paymentIntent,
    subscription: null,
    metadata: metadata(o),
  };
}

export function checkoutPaymentCompleted(
  o: OrderFixture,
  opts: { created?: number; type?: string; paymentStatus?: "paid" | "unpaid" } = {},
) {
  return stripeEvent(
    opts.type ?? "checkout.session.completed",
    paymentSession(o, opts.paymentStatus),
    opts.created ? { created: opts.created } : {},
  );
}

/** A PaymentIntent object (docs.stripe.com/api/payment_intents/object). */
export function paymentIntentObject(o: OrderFixture, status: string, extra: Record<string, unknown> = {}) {
  return {
    id: o.paymentIntent,
    object: "payment_intent",
    amount: o.amount,
    amount_received: status === "succeeded" ? o.amount : 0,
    currency: o.currency,
    status,
    customer: o.customer,
    latest_charge: status === "succeeded" || status === "requires_payment_method" ? o.charge : null,
    receipt_email: o.buyer.email,
    canceled_at: null,
    cancellation_reason: null,
    last_payment_error: null,
    metadata: metadata(o),
    ...destination(o),
    ...extra,
  };
}

const PI_STATUS: Record<string, string> = {
  "payment_intent.succeeded": "succeeded",
  "payment_intent.payment_failed": "requires_payment_method",
  "payment_intent.canceled": "canceled",
};

export function paymentIntentEvent(
  o: OrderFixture,
  type: "payment_intent.succeeded" | "payment_intent.payment_failed" | "payment_intent.canceled",
  created?: number,
) {
  const status = PI_STATUS[type] ?? "succeeded";
  const extra =
    type === "payment_intent.payment_failed"
      ? { last_payment_error: { code: "card_declined", message: "Your card was declined." } }
      : type === "payment_intent.canceled"
        ? { canceled_at: created ?? Math.floor(Date.now() / 1000), cancellation_reason: "abandoned" }
        : {};
  return stripeEvent(type, paymentIntentObject(o, status, extra), created ? { created } : {});
}

/** A Charge object (docs.stripe.com/api/charges/object); `amountRefunded` of `amount` refunded. */
export function chargeObject(o: OrderFixture, amountRefunded = 0, created?: number) {
  return {
    id: o.charge,
    object: "charge",
    amount: o.amount,
    amount_captured: o.amount,
    amount_refunded: amountRefunded,
    captured: true,
    created: created ?? Math.floor(Date.now() / 1000),
    currency: o.currency,
    customer: o.customer,
    paid: true,
    disputed: false,
    payment_intent: o.paymentIntent,
    billing_details: { email: o.buyer.email, name: o.buyer.name ?? null },
    receipt_email: o.buyer.email,
    refunded: amountRefunded >= o.amount,
    status: "succeeded",
    metadata: metadata(o),
    ...destination(o),
  };
}

export function chargeEvent(
  o: OrderFixture,
  type: "charge.succeeded" | "charge.refunded",
  opts: { created?: number; amountRefunded?: number } = {},
) {
  return stripeEvent(
    type,
    chargeObject(o, opts.amountRefunded ?? (type === "charge.refunded" ? o.amount : 0), opts.created),
    opts.created ? { created: opts.created } : {},
  );
}

/** A Dispute object (docs.stripe.com/api/disputes/object). */
export function disputeEvent(
  o: OrderFixture,
  type: "charge.dispute.created" | "charge.dispute.closed",
  opts: { id?: string; status?: string; created?: number } = {},
) {
  return stripeEvent(
    type,
    {
      id: opts.id ?? `dp_${o.charge.slice(3)}`,
      object: "dispute",
      amount: o.amount,
      charge: o.charge,
      currency: o.currency,
      payment_intent: o.paymentIntent,
      reason: "fraudulent",
      status: opts.status ?? (type === "charge.dispute.created" ? "needs_response" : "won"),
      is_charge_refundable: false,
      livemode: false,
      metadata: {},
    },
    opts.created ? { created: opts.created } : {},
  );
}

/** An Account object (docs.stripe.com/api/accounts/object), as a Connect endpoint delivers it. */
export function accountUpdated(
  accountId: string,
  opts: { chargesEnabled?: boolean; payoutsEnabled?: boolean; currentlyDue?: string[]; created?: number } = {},
) {
  const due = opts.currentlyDue ?? [];
  const e = stripeEvent(
    "account.updated",
    {
      id: accountId,
      object: "account",
      charges_enabled: opts.chargesEnabled ?? true,
      payouts_enabled: opts.payoutsEnabled ?? true,
      details_submitted: true,
      email: null,
      requirements: {
        currently_due: due,
        eventually_due: due,
        past_due: [],
        disabled_reason: due.length ? "requirements.past_due" : null,
      },
      metadata: {},
    },
    opts.created ? { created: opts.created } : {},
  );
  return { ...e, account: accountId };
}

/** A Payout object (docs.stripe.com/api/payouts/object) that failed, from a connected account. */
export function payoutFailed(accountId: string, opts: { created?: number } = {}) {
  const e = stripeEvent(
    "payout.failed",
    {
      id: rid("po"),
      object: "payout",
      amount: 2_000,
      currency: "usd",
      status: "failed",
      failure_code: "account_closed",
      failure_message: "The bank account has been closed.",
      arrival_date: Math.floor(Date.now() / 1000),
      method: "standard",
      type: "bank_account",
      metadata: {},
    },
    opts.created ? { created: opts.created } : {},
  );
  return { ...e, account: accountId };
}
