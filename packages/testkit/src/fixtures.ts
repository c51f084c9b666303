import { randomBytes } from "node:crypto";

const rid = (prefix: string) => `${prefix}_${randomBytes(8).toString("hex")}`;

/** A Stripe event shaped like the API's, with a fresh id unless one is given. */
export function stripeEvent(
  type: string,
  object: Record<string, unknown>,
  overrides: { id?: string; created?: number } = {},
) {
  return {
    id: overrides.id ?? rid("evt"),
    object: "event",
    api_version: "2025-01-27",
    created: overrides.created ?? Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
    data: { object },
  };
}

export interface BillingFixture {
  customer: string;
  created?: number;
  plan?: string;
  subscription?: string;
  id?: string;
}

const at = (o: BillingFixture) => ({ ...(o.id ? { id: o.id } : {}), ...(o.created ? { created: o.created } : {}) });
const price = (plan: string) => ({ id: `price_${plan}`, lookup_key: plan, nickname: null });

export function checkoutCompleted(o: BillingFixture & { userId?: string; email?: string }) {
  return stripeEvent(
    "checkout.session.completed",
    {
      id: rid("cs"),
      object: "checkout.session",
      customer: o.customer,
      client_reference_id: o.userId ?? null,
      customer_details: { email: o.email ?? null, name: null },
      subscription: o.subscription ?? "sub_1",
      mode: "subscription",
      payment_status: "paid",
      metadata: o.plan ? { plan: o.plan } : {},
    },
    at(o),
  );
}

function invoice(type: string, o: BillingFixture & { amount?: number; charge?: string }, paid: boolean) {
  const created = o.created ?? Math.floor(Date.now() / 1000);
  return stripeEvent(
    type,
    {
      id: rid("in"),
      object: "invoice",
      customer: o.customer,
      subscription: o.subscription ?? "sub_1",
      amount_paid: paid ? (o.amount ?? 4_900) : 0,
      amount_due: o.amount ?? 4_900,
      currency: "usd",
      status: paid ? "paid" : "open",
      charge: paid ? (o.charge ?? rid("ch")) : null,
      status_transitions: { paid_at: paid ? created : null },
      lines: { data: [{ price: price(o.plan ?? "pro") }] },
    },
    { ...at(o), created },
  );
}

export const invoicePaid = (o: BillingFixture & { amount?: number; charge?: string }) =>
  invoice("invoice.paid", o, true);
export const invoicePaymentFailed = (o: BillingFixture & { amount?: number }) =>
  invoice("invoice.payment_failed", o, false);

export function subscriptionUpdated(o: BillingFixture & { status: string; type?: string; periodEnd?: number }) {
  return stripeEvent(
    o.type ?? "customer.subscription.updated",
    {
      id: o.subscription ?? "sub_1",
      object: "subscription",
      customer: o.customer,
      status: o.status,
      items: { data: [{ price: price(o.plan ?? "pro"), current_period_end: o.periodEnd ?? null }] },
    },
    at(o),
  );
}

export function zendeskTicketCreated(opts: { ticketId?: string; requesterEmail?: string } = {}) {
  return {
    account_id: 1,
    id: crypto.randomUUID(),
    type: "zen:event-type:ticket.created",
    time: new Date().toISOString(),
    zendesk_event_version: "2022-11-06",
    subject: `zen:ticket:${opts.ticketId ?? "1"}`,
    detail: { id: opts.ticketId ?? "1", requester_email: opts.requesterEmail ?? "ada@example.com", subject: "Help" },
    event: {},
  };
}

export function hubspotContactCreated(opts: { eventId?: number; objectId?: number } = {}) {
  return {
    eventId: opts.eventId ?? Math.floor(Math.random() * 1e9),
    subscriptionId: 1,
    portalId: 1,
    appId: 1,
    occurredAt: Date.now(),
    subscriptionType: "contact.creation",
    attemptNumber: 0,
    objectId: opts.objectId ?? 123,
    changeFlag: "CREATED",
    changeSource: "CRM",
  };
}
