import type { ChargeRefunded, CheckoutSessionCompleted, InvoiceEvent, SubscriptionEvent } from "@switchyard/events";

/** What one Stripe event says about a customer, each fact stamped with the provider's time. */
export interface BillingFacts {
  keys: { stripeCustomerId: string | null; externalId: string | null; email: string | null; name: string | null };
  at: Date;
  status?: string;
  plan?: string;
  subscriptionId?: string;
  currentPeriodEnd?: Date;
  payment?: { id: string; transactionId: string; amount: number; currency: string; at: Date };
  paymentFailedAt?: Date;
  refundedAt?: Date;
}

const seconds = (s: number) => new Date(s * 1000);

type Price =
  | { id: string; lookup_key?: string | null | undefined; nickname?: string | null | undefined }
  | null
  | undefined;
const planOf = (price: Price) => price?.lookup_key ?? price?.nickname ?? price?.id;

export function checkoutFacts(e: CheckoutSessionCompleted): BillingFacts {
  const s = e.data.object;
  const paid = s.payment_status === "paid" || s.payment_status === "no_payment_required";
  return {
    keys: {
      stripeCustomerId: s.customer ?? null,
      externalId: s.client_reference_id ?? null,
      email: s.customer_details?.email ?? s.customer_email ?? null,
      name: s.customer_details?.name ?? null,
    },
    at: seconds(e.created),
    ...(paid && s.mode !== "payment" ? { status: "active" } : {}),
    ...(s.metadata?.plan ? { plan: s.metadata.plan } : {}),
    ...(s.subscription ? { subscriptionId: s.subscription } : {}),
  };
}

const SUBSCRIPTION_STATUS: Record<string, string | undefined> = {
  "customer.subscription.deleted": "canceled",
  "customer.subscription.paused": "paused",
};

export function subscriptionFacts(e: SubscriptionEvent): BillingFacts {
  const sub = e.data.object;
  const item = sub.items?.data[0];
  const periodEnd = item?.current_period_end ?? sub.current_period_end;
  const plan = sub.metadata?.plan ?? planOf(item?.price);
  return {
    keys: { stripeCustomerId: sub.customer, externalId: sub.metadata?.user_id ?? null, email: null, name: null },
    at: seconds(e.created),
    status: SUBSCRIPTION_STATUS[e.type] ?? sub.status,
    subscriptionId: sub.id,
    ...(plan ? { plan } : {}),
    ...(periodEnd ? { currentPeriodEnd: seconds(periodEnd) } : {}),
  };
}

export function invoiceFacts(e: InvoiceEvent): BillingFacts {
  const inv = e.data.object;
  const at = seconds(e.created);
  const keys = {
    stripeCustomerId: inv.customer,
    externalId: inv.metadata?.user_id ?? null,
    email: inv.customer_email ?? null,
    name: null,
  };
  const line = inv.lines?.data[0];
  const plan = planOf(line?.price) ?? line?.pricing?.price_details?.price ?? undefined;
  const subscription = inv.subscription ? { subscriptionId: inv.subscription } : {};
  if (e.type === "invoice.paid") {
    const paidAt = inv.status_transitions?.paid_at ? seconds(inv.status_transitions.paid_at) : at;
    return {
      keys,
      at,
      ...subscription,
      ...(inv.subscription ? { status: "active" } : {}),
      ...(plan ? { plan } : {}),
      payment: {
        id: inv.id,
        transactionId: inv.charge ?? inv.payment_intent ?? inv.id,
        amount: inv.amount_paid,
        currency: inv.currency,
        at: paidAt,
      },
    };
  }
  // payment_failed and payment_action_required: the money did not arrive.
  return { keys, at, ...subscription, ...(inv.subscription ? { status: "past_due" } : {}), paymentFailedAt: at };
}

export function refundFacts(e: ChargeRefunded): BillingFacts {
  const charge = e.data.object;
  return {
    keys: { stripeCustomerId: charge.customer ?? null, externalId: null, email: null, name: null },
    at: seconds(e.created),
    refundedAt: seconds(e.created),
  };
}
