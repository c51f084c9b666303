import { z } from "zod";

/** The parts of Stripe objects billing-sync reads. Unknown keys are dropped here, kept in `events`. */
const id = z.string().min(1);
const customerRef = z.union([id, z.object({ id })]).transform((c) => (typeof c === "string" ? c : c.id));
const price = z.object({ id, lookup_key: z.string().nullish(), nickname: z.string().nullish() });
const metadata = z.record(z.string(), z.string()).nullish();

function stripeEvent<T extends z.ZodType>(object: T) {
  return z.object({
    id,
    type: z.string(),
    created: z.number().int(),
    /** The connected account an event came from (Connect endpoints only). */
    account: z.string().nullish(),
    data: z.object({ object }),
  });
}

export const CheckoutSessionCompleted = stripeEvent(
  z.object({
    id,
    customer: customerRef.nullish(),
    customer_email: z.string().nullish(),
    customer_details: z.object({ email: z.string().nullish(), name: z.string().nullish() }).nullish(),
    client_reference_id: z.string().nullish(),
    subscription: customerRef.nullish(),
    mode: z.string().optional(),
    payment_status: z.string().optional(),
    /** mode=payment: the PaymentIntent behind it, the total and its currency. */
    payment_intent: customerRef.nullish(),
    amount_total: z.number().int().nullish(),
    currency: z.string().nullish(),
    metadata,
  }),
);

export const SubscriptionEvent = stripeEvent(
  z.object({
    id,
    customer: customerRef,
    status: z.string(),
    current_period_end: z.number().int().nullish(),
    items: z
      .object({ data: z.array(z.object({ price: price.nullish(), current_period_end: z.number().int().nullish() })) })
      .nullish(),
    metadata,
  }),
);

const invoiceLine = z.object({
  price: price.nullish(),
  pricing: z.object({ price_details: z.object({ price: z.string().nullish() }).nullish() }).nullish(),
});

export const InvoiceEvent = stripeEvent(
  z
    .object({
      id,
      customer: customerRef,
      customer_email: z.string().nullish(),
      subscription: customerRef.nullish(),
      /** API versions from 2025-03-31 name the subscription here instead of at the top level. */
      parent: z.object({ subscription_details: z.object({ subscription: customerRef.nullish() }).nullish() }).nullish(),
      amount_paid: z.number().int().default(0),
      amount_due: z.number().int().default(0),
      currency: z.string().default("usd"),
      status: z.string().nullish(),
      status_transitions: z.object({ paid_at: z.number().int().nullish() }).nullish(),
      payment_intent: customerRef.nullish(),
      charge: customerRef.nullish(),
      lines: z.object({ data: z.array(invoiceLine) }).nullish(),
      metadata,
    })
    // One place for the subscription, whichever API version sent the invoice.
    .transform(({ parent, ...invoice }) => ({
      ...invoice,
      subscription: invoice.subscription ?? parent?.subscription_details?.subscription ?? null,
    })),
);

export const ChargeRefunded = stripeEvent(
  z.object({
    id,
    customer: customerRef.nullish(),
    amount: z.number().int(),
    amount_refunded: z.number().int(),
    currency: z.string(),
    refunded: z.boolean().optional(),
    created: z.number().int().optional(),
    status: z.string().optional(),
    payment_intent: customerRef.nullish(),
    billing_details: z.object({ email: z.string().nullish(), name: z.string().nullish() }).nullish(),
    /** Only when expanded (API versions from 2022-11-15 leave it out of events). */
    refunds: z
      .object({ data: z.array(z.object({ id, amount: z.number().int(), created: z.number().int() })) })
      .nullish(),
    application_fee_amount: z.number().int().nullish(),
    transfer_data: z.object({ destination: customerRef }).nullish(),
    on_behalf_of: customerRef.nullish(),
    metadata,
  }),
);

/** charge.succeeded and charge.refunded carry the same object. */
export const ChargeEvent = ChargeRefunded;

/** payment_intent.succeeded / .payment_failed / .canceled. */
export const PaymentIntentEvent = stripeEvent(
  z.object({
    id,
    amount: z.number().int(),
    amount_received: z.number().int().optional(),
    currency: z.string(),
    status: z.string(),
    customer: customerRef.nullish(),
    latest_charge: customerRef.nullish(),
    receipt_email: z.string().nullish(),
    application_fee_amount: z.number().int().nullish(),
    transfer_data: z.object({ destination: customerRef }).nullish(),
    on_behalf_of: customerRef.nullish(),
    canceled_at: z.number().int().nullish(),
    cancellation_reason: z.string().nullish(),
    last_payment_error: z.object({ code: z.string().nullish(), message: z.string().nullish() }).nullish(),
    metadata,
  }),
);

/** charge.dispute.created / .closed. */
export const DisputeEvent = stripeEvent(
  z.object({
    id,
    charge: customerRef,
    payment_intent: customerRef.nullish(),
    amount: z.number().int(),
    currency: z.string(),
    status: z.string(),
    reason: z.string().nullish(),
    created: z.number().int().optional(),
  }),
);

/** account.updated, from a connected account: whether it may take charges and be paid out. */
export const AccountEvent = stripeEvent(
  z.object({
    id,
    charges_enabled: z.boolean(),
    payouts_enabled: z.boolean(),
    details_submitted: z.boolean().optional(),
    email: z.string().nullish(),
    requirements: z
      .object({ currently_due: z.array(z.string()).nullish(), disabled_reason: z.string().nullish() })
      .nullish(),
    metadata,
  }),
);

/** payout.failed, from a connected account. */
export const PayoutEvent = stripeEvent(
  z.object({
    id,
    amount: z.number().int(),
    currency: z.string(),
    status: z.string(),
    failure_code: z.string().nullish(),
    failure_message: z.string().nullish(),
  }),
);

export type CheckoutSessionCompleted = z.infer<typeof CheckoutSessionCompleted>;
export type SubscriptionEvent = z.infer<typeof SubscriptionEvent>;
export type InvoiceEvent = z.infer<typeof InvoiceEvent>;
export type ChargeRefunded = z.infer<typeof ChargeRefunded>;
export type ChargeEvent = ChargeRefunded;
export type PaymentIntentEvent = z.infer<typeof PaymentIntentEvent>;
export type DisputeEvent = z.infer<typeof DisputeEvent>;
export type AccountEvent = z.infer<typeof AccountEvent>;
export type PayoutEvent = z.infer<typeof PayoutEvent>;
