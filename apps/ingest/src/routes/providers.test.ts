import {
  hubspotContactCreated,
  signHubspot,
  signStandardWebhook,
  signZendesk,
  zendeskTicketCreated,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, DRIVERS, type Harness, post, SECRETS } from "../testing/harness.ts";

const URL_BASE = "http://ingest.test";
const minutesAgo = (m: number) => Date.now() - m * 60_000;

describe.each(DRIVERS)("provider webhooks on %s", (driver) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ driver, label: `providers_${driver}` });
  });
  afterAll(() => h.close());
  const snapshot = async () => ({ rows: (await h.eventRows()).length, jobs: await h.totalJobs() });

  describe("HubSpot v3", () => {
    const uri = `${URL_BASE}/webhooks/hubspot`;

    it("records each event of a signed batch once and routes contacts to crm-sync", async () => {
      const batch = [hubspotContactCreated({ eventId: 101 }), hubspotContactCreated({ eventId: 102 })];
      const res = await post(h, "/webhooks/hubspot", signHubspot({ payload: batch, secret: SECRETS.hubspot, uri }));
      expect(res.status).toBe(202);
      const body = (await res.json()) as { events: { eventId: string; status: string }[] };
      expect(body.events.map((e) => e.status)).toEqual(["accepted", "accepted"]);
      for (const e of body.events) expect(await h.jobExists("crm-sync", e.eventId)).toBe(true);
      const again = await post(h, "/webhooks/hubspot", signHubspot({ payload: batch, secret: SECRETS.hubspot, uri }));
      expect(again.status).toBe(200);
      expect(await h.eventRows("101")).toHaveLength(1);
    });

    it("verifies a URL with a query string the way HubSpot signs it (escapes decoded)", async () => {
      const signed = signHubspot({
        payload: [hubspotContactCreated({ eventId: 103 })],
        secret: SECRETS.hubspot,
        uri: `${URL_BASE}/webhooks/hubspot?portal=1&next=a:b/c`,
      });
      expect((await post(h, "/webhooks/hubspot?portal=1&next=a%3Ab%2Fc", signed)).status).toBe(202);
    });

    it.each([
      [
        "a signature over another URI",
        () =>
          signHubspot({
            payload: [hubspotContactCreated()],
            secret: SECRETS.hubspot,
            uri: "https://evil.test/webhooks/hubspot",
          }),
      ],
      ["a wrong secret", () => signHubspot({ payload: [hubspotContactCreated()], secret: "nope", uri })],
      [
        "a 6-minute-old timestamp",
        () =>
          signHubspot({ payload: [hubspotContactCreated()], secret: SECRETS.hubspot, uri, timestampMs: minutesAgo(6) }),
      ],
    ])("rejects %s with 401 and writes nothing", async (_l, build) => {
      const before = await snapshot();
      expect((await post(h, "/webhooks/hubspot", build())).status).toBe(401);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe("Zendesk", () => {
    it("accepts a signed ticket.created and routes it to support-context and ai-triage", async () => {
      const event = zendeskTicketCreated({ ticketId: "77" });
      const res = await post(h, "/webhooks/zendesk", signZendesk({ payload: event, secret: SECRETS.zendesk }));
      expect(res.status).toBe(202);
      const body = (await res.json()) as { eventId: string; queues: string[] };
      expect(body.queues).toEqual(["support-context", "ai-triage"]);
      const [row] = await h.eventRows(event.id);
      expect(row?.type).toBe("zendesk.ticket.created");
      // Stored as sent: workers need `event` and every other field the ingest shape does not name.
      expect(row?.payload).toEqual(event);
      expect(await h.jobExists("support-context", body.eventId)).toBe(true);
      expect(await h.jobExists("ai-triage", body.eventId)).toBe(true);
    });

    it.each([
      [
        "a stale timestamp",
        () =>
          signZendesk({
            payload: zendeskTicketCreated(),
            secret: SECRETS.zendesk,
            timestamp: new Date(minutesAgo(6)).toISOString(),
          }),
      ],
      ["a wrong secret", () => signZendesk({ payload: zendeskTicketCreated(), secret: "other" })],
    ])("rejects %s with 401 and writes nothing", async (_l, build) => {
      const before = await snapshot();
      expect((await post(h, "/webhooks/zendesk", build())).status).toBe(401);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe("Standard Webhooks (generic sources)", () => {
    it("accepts an event for a source configured with WEBHOOK_SECRET_<SOURCE>", async () => {
      const signed = signStandardWebhook({
        payload: { type: "invoice.created", data: { n: 1 } },
        secret: SECRETS.generic,
      });
      const res = await post(h, "/webhooks/acme", signed);
      expect(res.status).toBe(202);
      const rows = await h.eventRows(signed.headers["webhook-id"]);
      expect(rows[0]).toMatchObject({ source: "acme", type: "acme.invoice.created", status: "processed" });
    });

    it("accepts a header carrying several signatures when one matches", async () => {
      const signed = signStandardWebhook({ payload: { type: "x", data: {} }, secret: SECRETS.generic });
      signed.headers["webhook-signature"] = `v1,Zm9yZ2Vk ${signed.headers["webhook-signature"]}`;
      expect((await post(h, "/webhooks/acme", signed)).status).toBe(202);
    });

    it("rejects a wrong secret or stale timestamp with 401, and an unconfigured source with 404", async () => {
      const before = await snapshot();
      const wrong = signStandardWebhook({ payload: { type: "x", data: {} }, secret: "whsec_b3RoZXI=" });
      const stale = signStandardWebhook({
        payload: { type: "x", data: {} },
        secret: SECRETS.generic,
        timestamp: Math.floor(minutesAgo(6) / 1000),
      });
      expect((await post(h, "/webhooks/acme", wrong)).status).toBe(401);
      expect((await post(h, "/webhooks/acme", stale)).status).toBe(401);
      expect(
        (await post(h, "/webhooks/globex", signStandardWebhook({ payload: { type: "x" }, secret: SECRETS.generic })))
          .status,
      ).toBe(404);
      expect(await snapshot()).toEqual(before);
    });
  });
});
