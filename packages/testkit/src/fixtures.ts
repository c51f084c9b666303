import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

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

/** An example payload recorded from a provider's documentation (packages/testkit/fixtures). */
export function providerExample<T = Record<string, unknown>>(provider: "zendesk" | "hubspot", name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${provider}/${name}.json`, import.meta.url), "utf8")) as T;
}

/**
 * The Zendesk user id the fake gives an email, so a webhook and the fake's user agree without
 * the test passing ids around. Zendesk's ids are integers; its events send them as strings.
 */
export function zendeskUserId(email: string): number {
  return 1_000_000 + (createHash("sha256").update(email.toLowerCase()).digest().readUInt32BE(0) % 1_000_000_000);
}

/**
 * `zen:event-type:ticket.created` as Zendesk sends it (the documented example, event version
 * 2022-11-06, with this ticket's ids): the requester is named by `requester_id` only, never by
 * email. `requesterEmail` only picks the id `FakeZendesk.addUser` gives that email; `subject` or
 * `description` null leaves the field out.
 */
export function zendeskTicketCreated(
  opts: {
    ticketId?: string;
    requesterEmail?: string;
    requesterId?: number | string;
    subject?: string | null;
    description?: string | null;
  } = {},
) {
  const example = providerExample<{ detail: Record<string, unknown> } & Record<string, unknown>>(
    "zendesk",
    "ticket-created",
  );
  const ticketId = opts.ticketId ?? "1";
  const requesterId = String(opts.requesterId ?? zendeskUserId(opts.requesterEmail ?? "ada@example.com"));
  const now = new Date().toISOString();
  const { subject: _s, description: _d, ...detail } = example.detail;
  const subject = opts.subject === undefined ? "Help" : opts.subject;
  const description = opts.description === undefined ? subject : opts.description;
  return {
    ...example,
    id: crypto.randomUUID(),
    time: now,
    subject: `zen:ticket:${ticketId}`,
    detail: {
      ...detail,
      id: ticketId,
      requester_id: requesterId,
      submitter_id: requesterId,
      actor_id: requesterId,
      created_at: now,
      updated_at: now,
      ...(subject !== null ? { subject } : {}),
      ...(description !== null ? { description } : {}),
    } as Record<string, unknown> & { id: string; requester_id: string; subject?: string; description?: string },
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
