import { inArray, schema, sql } from "@switchyard/db";
import type { Kpi, KpiKey } from "@switchyard/domain";
import {
  appEventRequest,
  FakeHubspot,
  FakeServer,
  FakeZendesk,
  signZendesk,
  zendeskTicketCreated,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customerByEmail, KEYS, type System, startSystem } from "./testing/system.ts";

const ADMIN_TOKEN = "sy_admin_kpi_providers_0123456789abcdef";
const ZD = { email: "bot@example.com", token: "zd-kpi-token" };

/**
 * With HubSpot and Zendesk configured (their fakes), the KPIs that used to see only the local CRM and
 * desk read Switchyard's mirror of what it wrote there; ticket creation gets a success rate and a
 * p95. Each scenario goes through ingest and the workers, on each side of its threshold, and counts
 * the alerts the receiver got for that KPI: one per crossing.
 */
describe("KPIs with HubSpot and Zendesk configured", () => {
  let sys: System;
  let hubspot: FakeHubspot;
  let zendesk: FakeZendesk;
  let alerts: FakeServer;
  beforeAll(async () => {
    hubspot = await FakeHubspot.start({ token: "pat-kpi" });
    zendesk = await FakeZendesk.start({ email: ZD.email, apiToken: ZD.token });
    alerts = await new FakeServer((req) =>
      req.path === "/hook" ? () => ({ status: 200, body: { ok: true } }) : undefined,
    ).start();
    sys = await startSystem({
      label: "kpi_providers",
      admin: true,
      env: {
        HUBSPOT_ACCESS_TOKEN: "pat-kpi",
        HUBSPOT_API_BASE: hubspot.url,
        ZENDESK_API_BASE: zendesk.url,
        ZENDESK_EMAIL: ZD.email,
        ZENDESK_API_TOKEN: ZD.token,
        ADMIN_TOKEN,
        ALERT_WEBHOOK_URL: `${alerts.url}/hook`,
        // Set low so that the slow side of the scenario takes two seconds, not six.
        KPI_TICKET_CREATION_P95_MAX_MS: "1500",
      },
    });
  });
  afterAll(async () => {
    await sys.close();
    await hubspot.close();
    await zendesk.close();
    await alerts.close();
  });

  const db = () => sys.dbHandle.db;
  const alertsFor = (key: KpiKey) =>
    alerts.received
      .filter((r) => r.path === "/hook")
      .map((r) => (r.body as { text: string }).text)
      .filter((t) => t.includes(`threshold: ${key} `));
  /** Three checks, as three ticks of admin's timer would be; the KPI as the last one saw it. */
  async function checked(key: KpiKey): Promise<Kpi> {
    let kpi: Kpi | undefined;
    for (let i = 0; i < 3; i++) kpi = (await sys.checkKpis()).find((k) => k.key === key);
    if (!kpi) throw new Error(`no KPI ${key}`);
    return kpi;
  }
  const app = (payload: object) => sys.post("/v1/events", appEventRequest({ payload, apiKey: KEYS.app }));
  /** Ages the events past the 10 minutes support-context is given before a ticket is judged. */
  const age = (types: string[], ms: number) =>
    db()
      .update(schema.events)
      .set({ receivedAt: sql`${schema.events.receivedAt} - ${ms}::float8 * interval '1 millisecond'` })
      .where(inArray(schema.events.type, types));

  it("duplicate contacts, from the HubSpot mirror: 12 contacts for 12 customers is 0 %; a second id for one breaches, once", async () => {
    for (let i = 0; i < 12; i++) {
      await app({ type: "user.signed_up", data: { userId: `u-hs${i}`, email: `hs${i}@example.com` } });
    }
    await sys.waitForIdle();
    expect(hubspot.contacts.size).toBe(12);
    expect(await checked("duplicate_contact_rate")).toMatchObject({ value: 0, sample: 12, status: "ok" });
    expect(alertsFor("duplicate_contact_rate")).toHaveLength(0);

    // The contact is deleted on HubSpot's side; the next sync of that customer creates another.
    hubspot.deleteContact("hs0@example.com");
    const customer = await customerByEmail(sys, "hs0@example.com");
    const res = await fetch(`${sys.adminUrl}/api/customers/${customer?.id}/override`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ status: "entitled", reason: "goodwill" }),
    });
    expect(res.status).toBe(200);
    await sys.waitForIdle();
    const kpi = await checked("duplicate_contact_rate");
    expect(kpi).toMatchObject({ value: (1 / 13) * 100, sample: 13, status: "breached" });
    expect(kpi.note).toContain("HubSpot contacts Switchyard wrote");
    expect(alertsFor("duplicate_contact_rate")).toHaveLength(1);
  });

  it("tickets missing context, from the Zendesk notes mirror: 12 annotated is 0 %; one Switchyard could not annotate breaches, once", async () => {
    const announce = (id: number) =>
      sys.post(
        "/webhooks/zendesk",
        signZendesk({
          payload: zendeskTicketCreated({ ticketId: String(id), requesterEmail: "hs1@example.com" }),
          secret: KEYS.zendesk,
        }),
      );
    for (let i = 0; i < 12; i++) {
      zendesk.addTicket({ id: 7000 + i, subject: "Where is my invoice?", requesterEmail: "hs1@example.com" });
      expect((await announce(7000 + i)).status).toBe(202);
    }
    await sys.waitForIdle();
    await age(["zendesk.ticket.created"], 30 * 60_000);
    expect(await checked("tickets_missing_context_rate")).toMatchObject({ value: 0, sample: 12, status: "ok" });
    expect(alertsFor("tickets_missing_context_rate")).toHaveLength(0);

    // Announced, but Zendesk does not have it: support-context fails for good and writes no note.
    expect((await announce(7999)).status).toBe(202);
    await sys.waitForIdle();
    await age(["zendesk.ticket.created"], 30 * 60_000);
    const kpi = await checked("tickets_missing_context_rate");
    expect(kpi).toMatchObject({ value: (1 / 13) * 100, sample: 13, status: "breached" });
    expect(kpi.note).toContain("Zendesk notes Switchyard wrote");
    expect(alertsFor("tickets_missing_context_rate")).toHaveLength(1);
  });

  it("support ticket creation: 12 opened is 100 %; one Zendesk refuses breaches 99 %, once", async () => {
    const request = (i: number) =>
      app({
        type: "support.requested",
        data: { userId: "u-hs2", subject: `Export ${i}`, message: "Where can I download all my invoices?" },
      });
    // One at a time, as a shop's requests come in: a burst would measure the queue more than Zendesk.
    for (let i = 0; i < 12; i++) {
      await request(i);
      await sys.waitForIdle();
    }
    expect(await checked("ticket_creation_success_rate")).toMatchObject({ value: 100, sample: 12, status: "ok" });
    const fast = await checked("ticket_creation_p95");
    expect(fast).toMatchObject({ sample: 12, status: "ok" });
    expect(fast.value).toBeLessThan(1_500);

    zendesk.fail({ match: /^POST \/api\/v2\/tickets\.json/, status: 422, body: { error: "RecordInvalid" } });
    await request(12);
    await sys.waitForIdle();
    zendesk.heal();
    const kpi = await checked("ticket_creation_success_rate");
    expect(kpi).toMatchObject({ value: (12 / 13) * 100, sample: 13, status: "breached" });
    expect(alertsFor("ticket_creation_success_rate")).toHaveLength(1);
    // The refused one is the success rate's; the p95 is of the tickets that were opened.
    expect(await checked("ticket_creation_p95")).toMatchObject({ sample: 12, status: "ok" });
    expect(alertsFor("ticket_creation_p95")).toHaveLength(0);
  });

  it("support ticket creation p95: two tickets Zendesk takes 2 s to open push it past 1.5 s, once", async () => {
    zendesk.fail({ match: /^POST \/api\/v2\/tickets\.json/, latencyMs: 2_000 });
    await Promise.all(
      [13, 14].map((i) =>
        app({ type: "support.requested", data: { userId: "u-hs2", subject: `Slow ${i}`, message: "Hello?" } }),
      ),
    );
    await sys.waitForIdle();
    zendesk.heal();
    const kpi = await checked("ticket_creation_p95");
    expect(kpi).toMatchObject({ sample: 14, status: "breached" });
    expect(kpi.value).toBeGreaterThanOrEqual(2_000);
    expect(alertsFor("ticket_creation_p95")).toHaveLength(1);
  });
});
