import { z } from "zod";

/** The parts of Stripe objects billing-sync reads. Unknown keys are dropped here, kept in `events`. */
const id = z.string().min(1);
const customerRef = z.union([id, z.object({ id })]).transform((c) => (typeof c === "string" ? c : c.id));
const price = z.object({ id, lookup_key: z.string().nullish(), nickname: z.string().nullish() });
const metadata = z.record(z.string(), z.string()).nullish();

function stripeEvent<T extends z.ZodType>(object: T) {
  return z.object({ id, type: z.string(), created: z.number().int(), data: z.object({ object }) });
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
  }),
);

export type CheckoutSessionCompleted = z.infer<typeof CheckoutSessionCompleted>;
export type SubscriptionEvent = z.infer<typeof SubscriptionEvent>;
export type InvoiceEvent = z.infer<typeof InvoiceEvent>;
export type ChargeRefunded = z.infer<typeof ChargeRefunded>;
