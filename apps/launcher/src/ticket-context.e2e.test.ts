import {
  appEventRequest,
  chargeEvent,
  checkoutCompleted,
  checkoutPaymentCompleted,
  FakeZendesk,
  invoicePaid,
  orderCreatedEvent,
  orderFixture,
  paymentIntentEvent,
  signStripe,
  signZendesk,
  subscriptionUpdated,
  zendeskTicketCreated,
  zendeskUserId,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEYS, type System, startSystem } from "./testing/system.ts";

const T0 = Math.floor(Date.now() / 1000) - 3_600;
const context = (zendesk: FakeZendesk, id: number) =>
  zendesk.notesOn(id).filter((n) => n.body.includes("Switchyard customer context"));

describe("ticket context against a Zendesk that names requesters by id", () => {
  let sys: System;
  let zendesk: FakeZendesk;
  beforeAll(async () => {
    zendesk = await FakeZendesk.start({ email: "bot@example.com", apiToken: "zd-ctx-token" });
    sys = await startSystem({
      label: "ticket-ctx",
      env: { ZENDESK_API_BASE: zendesk.url, ZENDESK_EMAIL: "bot@example.com", ZENDESK_API_TOKEN: "zd-ctx-token" },
    });
  });
  afterAll(async () => {
    await sys.close();
    await zendesk.close();
  });

  const app = (payload: object) => sys.post("/v1/events", appEventRequest({ payload, apiKey: KEYS.app }));
  const stripe = (payload: object) => sys.post("/webhooks/stripe", signStripe({ payload, secret: KEYS.stripe }));
  const ticket = (payload: object) => sys.post("/webhooks/zendesk", signZendesk({ payload, secret: KEYS.zendesk }));

  it("a new ticket's note names the customer, plan and last payment, the requester read once through the Users API", async () => {
    await app({ type: "user.signed_up", data: { userId: "u-req", email: "req@example.com" } });
    await stripe(checkoutCompleted({ customer: "cus_req", userId: "u-req", plan: "scale", created: T0 }));
    await stripe(invoicePaid({ customer: "cus_req", plan: "scale", charge: "ch_req_1", created: T0 + 1 }));
    await sys.waitForIdle();

    for (const id of [5101, 5102]) {
      zendesk.addTicket({ id, subject: "Refund please", requesterEmail: "req@example.com" });
      const event = zendeskTicketCreated({ ticketId: String(id), requesterEmail: "req@example.com" });
      // As Zendesk sends it: the requester by id, no email anywhere.
      expect(JSON.stringify(event)).not.toContain("req@example.com");
      expect(event.detail.requester_id).toBe(String(zendeskUserId("req@example.com")));
      expect((await ticket(event)).status).toBe(202);
    }
    await sys.waitForIdle();

    for (const id of [5101, 5102]) {
      const notes = context(zendesk, id);
      expect(notes).toHaveLength(1);
      expect(notes[0]?.body).toContain("User: u-req (req@example.com)");
      expect(notes[0]?.body).toContain("Plan: scale");
      expect(notes[0]?.body).toContain("ch_req_1");
    }
    // Cached per process: the second ticket of the same requester asked Zendesk nothing more.
    expect(zendesk.requests(/^GET \/api\/v2\/users\//)).toHaveLength(1);
  });

  it("a ticket opened a second after checkout is corrected once the subscription lands, and an unchanged state adds no note", async () => {
    await app({ type: "user.signed_up", data: { userId: "u-late", email: "late@example.com" } });
    await stripe(checkoutCompleted({ customer: "cus_late", userId: "u-late", subscription: "sub_late", created: T0 }));
    await sys.waitForIdle();

    zendesk.addTicket({ id: 5201, subject: "Am I subscribed?", requesterEmail: "late@example.com" });
    await ticket(zendeskTicketCreated({ ticketId: "5201", requesterEmail: "late@example.com" }));
    await sys.waitForIdle();
    expect(context(zendesk, 5201)).toHaveLength(1);
    expect(context(zendesk, 5201)[0]?.body).toContain("Plan: none");

    const active = { customer: "cus_late", subscription: "sub_late", status: "active", plan: "pro" };
    await stripe(subscriptionUpdated({ ...active, type: "customer.subscription.created", created: T0 + 1 }));
    await sys.waitForIdle();
    const corrected = context(zendesk, 5201);
    expect(corrected).toHaveLength(2);
    expect(corrected[1]?.body).toContain("context (updated)");
    expect(corrected[1]?.body).toContain("Plan: pro");
    expect(corrected[1]?.body).toContain("Billing: active (entitled)");

    // The same state again, as a later event: the facts are unchanged, so no third note.
    await stripe(subscriptionUpdated({ ...active, created: T0 + 2 }));
    await sys.waitForIdle();
    expect(context(zendesk, 5201)).toHaveLength(2);
  });

  it("a solved ticket is left alone when its customer's billing changes", async () => {
    zendesk.addTicket({ id: 5301, subject: "Thanks", requesterEmail: "late@example.com" });
    await ticket(zendeskTicketCreated({ ticketId: "5301", requesterEmail: "late@example.com" }));
    await sys.waitForIdle();
    const ticket5301 = zendesk.tickets.get(5301);
    if (ticket5301) ticket5301.status = "solved";
    const open = context(zendesk, 5201).length;
    await stripe(invoicePaid({ customer: "cus_late", subscription: "sub_late", charge: "ch_late", created: T0 + 3 }));
    await sys.waitForIdle();
    expect(context(zendesk, 5301)).toHaveLength(1);
    // The open one of the same customer is told of the payment.
    expect(context(zendesk, 5201)).toHaveLength(open + 1);
    expect(context(zendesk, 5201).at(-1)?.body).toContain("ch_late");
  });

  it("an order paid after an app ticket was opened corrects its note with the last order", async () => {
    await app({ type: "user.signed_up", data: { userId: "u-ord", email: "ord@example.com" } });
    await sys.waitForIdle();
    const res = await app({
      type: "support.requested",
      data: { userId: "u-ord", subject: "Order", message: "Did my order go through?" },
    });
    const { eventId } = (await res.json()) as { eventId: string };
    await sys.waitForIdle();
    const opened = [...zendesk.tickets.values()].find((t) => t.external_id === `app-${eventId}`);
    expect(context(zendesk, opened?.id ?? 0)).toHaveLength(1);

    const o = orderFixture({ buyer: { userId: "u-ord", email: "ord@example.com" }, amount: 4_200 });
    await sys.post(
      "/v1/events",
      appEventRequest({ payload: orderCreatedEvent(o), apiKey: KEYS.app, idempotencyKey: `order-${o.orderId}` }),
    );
    await stripe(paymentIntentEvent(o, "payment_intent.succeeded", T0 + 10));
    await stripe(chargeEvent(o, "charge.succeeded", { created: T0 + 10 }));
    await stripe(checkoutPaymentCompleted(o, { created: T0 + 11 }));
    await sys.waitForIdle();
    const notes = context(zendesk, opened?.id ?? 0);
    expect(notes.length).toBeGreaterThanOrEqual(2);
    expect(notes.at(-1)?.body).toContain(`Last order: ${o.orderId} · paid · 42.00 USD`);
    expect(notes[0]?.body).not.toContain(o.orderId);
    // Each note is a distinct set of facts: no two bodies say the same thing.
    const facts = notes.map((n) => n.body.split("\n").slice(1).join("\n"));
    expect(new Set(facts).size).toBe(facts.length);
  });
});
