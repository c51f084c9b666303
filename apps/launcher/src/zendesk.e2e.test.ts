import {
  appEventRequest,
  checkoutCompleted,
  FakeZendesk,
  invoicePaid,
  signStripe,
  signZendesk,
  zendeskTicketCreated,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEYS, type System, startSystem } from "./testing/system.ts";

const T0 = Math.floor(Date.now() / 1000) - 3_600;

describe("support-context and ai-triage writing to Zendesk", () => {
  let sys: System;
  let zendesk: FakeZendesk;
  beforeAll(async () => {
    zendesk = await FakeZendesk.start({ email: "bot@example.com", apiToken: "zd-e2e-token" });
    sys = await startSystem({
      label: "zendesk",
      env: { ZENDESK_API_BASE: zendesk.url, ZENDESK_EMAIL: "bot@example.com", ZENDESK_API_TOKEN: "zd-e2e-token" },
    });
  });
  afterAll(async () => {
    await sys.close();
    await zendesk.close();
  });

  const app = (payload: object) => sys.post("/v1/events", appEventRequest({ payload, apiKey: KEYS.app }));

  it("a paid user's Zendesk ticket gets one internal note with plan and transaction, and a tagged triage", async () => {
    await app({ type: "user.signed_up", data: { userId: "u-zd", email: "zd@example.com" } });
    await sys.post(
      "/webhooks/stripe",
      signStripe({
        payload: checkoutCompleted({ customer: "cus_zd", userId: "u-zd", plan: "scale", created: T0 }),
        secret: KEYS.stripe,
      }),
    );
    await sys.post(
      "/webhooks/stripe",
      signStripe({
        payload: invoicePaid({ customer: "cus_zd", plan: "scale", charge: "ch_zd_1", created: T0 + 1 }),
        secret: KEYS.stripe,
      }),
    );
    await sys.waitForIdle();

    zendesk.addTicket({ id: 4242, subject: "Refund please", requesterEmail: "zd@example.com" });
    const webhook = zendeskTicketCreated({ ticketId: "4242", requesterEmail: "zd@example.com" });
    webhook.detail = {
      ...webhook.detail,
      subject: "Refund please",
      description: "I want a refund for last month.",
    } as typeof webhook.detail;
    const signed = signZendesk({ payload: webhook, secret: KEYS.zendesk });
    expect((await sys.post("/webhooks/zendesk", signed)).status).toBe(202);
    expect((await sys.post("/webhooks/zendesk", signed)).status).toBe(200);
    await sys.waitForIdle();

    const notes = zendesk.notesOn(4242);
    const context = notes.filter((n) => n.body.includes("Switchyard customer context"));
    expect(context).toHaveLength(1);
    expect(context[0]?.body).toContain("scale");
    expect(context[0]?.body).toContain("ch_zd_1");
    expect(notes.filter((n) => n.body.startsWith("Suggested reply"))).toHaveLength(1);
    expect(zendesk.tickets.get(4242)?.tags).toEqual(expect.arrayContaining(["refund", "escalated"]));
    expect(notes.every((n) => n.public === false)).toBe(true);
  });

  it("app support requests each open one Zendesk ticket, though two workers race to open it", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await app({
        type: "support.requested",
        data: { userId: "u-zd", subject: `Invoice ${i}`, message: "Where can I download my invoice?" },
      });
      ids.push(((await res.json()) as { eventId: string }).eventId);
    }
    await sys.waitForIdle();
    for (const eventId of ids) {
      const opened = [...zendesk.tickets.values()].filter((t) => t.external_id === `app-${eventId}`);
      expect(opened).toHaveLength(1);
      const context = zendesk.notesOn(opened[0]?.id ?? 0).filter((n) => n.body.includes("Switchyard customer context"));
      expect(context).toHaveLength(1);
    }
  });
});
