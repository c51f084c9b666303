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

export function invoicePaid(opts: { customer: string; amount?: number; id?: string }) {
  return stripeEvent(
    "invoice.paid",
    {
      id: rid("in"),
      object: "invoice",
      customer: opts.customer,
      amount_paid: opts.amount ?? 4_900,
      currency: "usd",
      status: "paid",
    },
    opts.id ? { id: opts.id } : {},
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
