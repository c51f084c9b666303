import { randomUUID } from "node:crypto";
import { createDb, type DbHandle, runMigrations, schema, sql } from "@switchyard/db";
import { createTestDatabase, type TestDatabase } from "@switchyard/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadKpis } from "./kpi-queries.ts";
import { DEFAULT_KPI_SETTINGS, type Kpi, type KpiKey, type KpiSettings } from "./kpis.ts";

const NOW = new Date("2026-11-20T12:00:00Z");
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const at = (msAgo: number) => new Date(NOW.getTime() - msAgo);

/** Each measure on rows written straight into Postgres, at times relative to a fixed `now`. */
describe("KPI queries", () => {
  let testDb: TestDatabase;
  let handle: DbHandle;
  beforeAll(async () => {
    testDb = await createTestDatabase("kpi_queries");
    handle = await createDb({ databaseUrl: testDb.url });
    await runMigrations(handle);
  });
  afterAll(async () => {
    await handle?.close();
    await testDb?.drop();
  });
  beforeEach(async () => {
    await handle.db.execute(sql`truncate events, deliveries, failures, customers, crm_contacts, crm_contact_mirror,
      webhook_refusals, external_notes, triage_results, support_tickets, support_notes, customer_timeline cascade`);
  });

  const db = () => handle.db;
  const kpi = async (key: KpiKey, settings: Partial<KpiSettings> = {}): Promise<Kpi> => {
    const all = await loadKpis(db(), { ...DEFAULT_KPI_SETTINGS, ...settings }, NOW);
    const found = all.find((k) => k.key === key);
    if (!found) throw new Error(`no ${key}`);
    return found;
  };

  async function event(v: { source: string; type: string; ago: number; payload?: unknown } & Record<string, unknown>) {
    const { ago, ...rest } = v;
    const [row] = await db()
      .insert(schema.events)
      .values({
        sourceEventId: randomUUID(),
        payloadHash: "h",
        status: "processed",
        receivedAt: at(ago),
        recordedAt: at(ago),
        ...rest,
      })
      .returning();
    if (!row) throw new Error("event not inserted");
    return row;
  }
  const completed = (eventId: string, consumer: string, afterMs: number, received: number) =>
    db()
      .insert(schema.deliveries)
      .values({ consumer, eventId, status: "completed", completedAt: at(received - afterMs) });
  const failed = (eventId: string, queue: string) =>
    db()
      .insert(schema.failures)
      .values({ eventId, queue, jobName: "j", jobId: eventId, reason: "upstream_unavailable" });

  it("webhook failures: 40 refused among 200 recorded is 40/240, from the refusal counts; app events and old refusals left out", async () => {
    for (let i = 0; i < 200; i++) await event({ source: "stripe", type: "stripe.invoice.paid", ago: 5 * MIN });
    await event({ source: "app", type: "app.user.signed_up", ago: MIN, status: "rejected" });
    await db()
      .insert(schema.webhookRefusals)
      .values([
        { minute: at(3 * MIN), source: "stripe", reason: "auth_failed", count: 25 },
        { minute: at(2 * MIN), source: "stripe", reason: "auth_failed", count: 15 },
        { minute: at(DAY + 5 * MIN), source: "stripe", reason: "auth_failed", count: 1000 },
      ]);
    const k = await kpi("webhook_failure_rate");
    expect(k.value).toBe((40 / 240) * 100);
    expect(k).toMatchObject({ sample: 240, ok: false, status: "breached" });
    expect(k.note).toBe("refused or rejected: stripe auth_failed 40");
  });

  it("duplicate contacts: HubSpot's are counted from the mirror, the local CRM's from its table", async () => {
    const customers = await db()
      .insert(schema.customers)
      .values(Array.from({ length: 10 }, (_, i) => ({ email: `c${i}@example.com` })))
      .returning();
    await db()
      .insert(schema.crmContactMirror)
      .values(customers.map((c, i) => ({ provider: "hubspot", customerId: c.id, contactId: String(1000 + i) })));
    expect(await kpi("duplicate_contact_rate", { crm: "hubspot" })).toMatchObject({ value: 0, sample: 10, ok: true });
    await db()
      .insert(schema.crmContactMirror)
      .values({ provider: "hubspot", customerId: customers[0]?.id ?? "", contactId: "2000" });
    const k = await kpi("duplicate_contact_rate", { crm: "hubspot" });
    expect(k).toMatchObject({ value: (1 / 11) * 100, sample: 11, status: "breached" });
    expect(k.note).toContain("HubSpot contacts Switchyard wrote");
    expect(await kpi("duplicate_contact_rate")).toMatchObject({ value: null, status: "no_data" });
    expect((await kpi("duplicate_contact_rate")).note).toBe("no contact in the local CRM yet");
  });

  it("tickets missing context on Zendesk: the tickets support-context was handed, against the notes mirror", async () => {
    const zendeskTicket = (id: string, ago: number) =>
      event({ source: "zendesk", type: "zendesk.ticket.created", ago, payload: { detail: { id } } });
    const note = (ref: string, kind: "context" | "draft", status: "pending" | "written" = "written") =>
      db()
        .insert(schema.externalNotes)
        .values({ provider: "zendesk", ticketRef: ref, idempotencyKey: randomUUID(), kind, status });
    for (let i = 0; i < 10; i++) {
      await zendeskTicket(String(500 + i), HOUR);
      await note(String(500 + i), "context");
    }
    // The same ticket announced twice is one ticket.
    await zendeskTicket("500", HOUR);
    // Too young to judge.
    await zendeskTicket("999", MIN);
    expect(await kpi("tickets_missing_context_rate", { desk: "zendesk" })).toMatchObject({ value: 0, sample: 10 });

    await zendeskTicket("600", HOUR);
    await note("600", "draft");
    await zendeskTicket("601", HOUR);
    await note("601", "context", "pending");
    const app = await event({ source: "app", type: "app.support.requested", ago: HOUR, payload: { data: {} } });
    await note(`app-${app.id}`, "context");
    const k = await kpi("tickets_missing_context_rate", { desk: "zendesk" });
    expect(k).toMatchObject({ value: (2 / 13) * 100, sample: 13, status: "breached" });
    expect(k.note).toContain("Zendesk notes Switchyard wrote");
  });

  it("payment sync delay p95: receipt to completion, an event still in flight as late as it is, a parked one left out", async () => {
    // 19 synced in 100..1900 ms.
    for (let i = 1; i <= 19; i++) {
      const e = await event({ source: "stripe", type: "stripe.invoice.paid", ago: HOUR, queues: ["billing-sync"] });
      await completed(e.id, "billing-sync/stripe.invoice.paid", i * 100, HOUR);
    }
    const parked = await event({ source: "stripe", type: "stripe.invoice.paid", ago: HOUR, queues: ["billing-sync"] });
    await failed(parked.id, "billing-sync");
    const ok = await kpi("payment_sync_delay_p95");
    expect(ok).toMatchObject({ sample: 19, status: "ok", unit: "ms" });
    expect(ok.value).toBe(Math.round(1_800 + 0.1 * 100));
    // One waiting 30 s and one 40 s (a stalled worker): the p95 moves past 2 s at once.
    await event({
      source: "stripe",
      type: "stripe.invoice.paid",
      ago: 30_000,
      queues: ["billing-sync"],
      status: "received",
    });
    await event({
      source: "stripe",
      type: "stripe.invoice.paid",
      ago: 40_000,
      queues: ["billing-sync"],
      status: "received",
    });
    const late = await kpi("payment_sync_delay_p95");
    expect(late).toMatchObject({ sample: 21, status: "breached" });
    expect(late.value).toBe(30_000);
  });

  it("support ticket creation: the app's requests, completed or parked, and their p95", async () => {
    for (let i = 1; i <= 9; i++) {
      const e = await event({ source: "app", type: "app.support.requested", ago: HOUR, queues: ["support-context"] });
      await completed(e.id, "support-context/app.support.requested", i * 200, HOUR);
    }
    // A Zendesk ticket is not one Switchyard created.
    const zd = await event({
      source: "zendesk",
      type: "zendesk.ticket.created",
      ago: HOUR,
      queues: ["support-context"],
    });
    await failed(zd.id, "support-context");
    expect(await kpi("ticket_creation_success_rate")).toMatchObject({ value: 100, sample: 9, status: "low_sample" });
    const bad = await event({ source: "app", type: "app.support.requested", ago: HOUR, queues: ["support-context"] });
    await failed(bad.id, "support-context");
    expect(await kpi("ticket_creation_success_rate")).toMatchObject({ value: 90, sample: 10, status: "breached" });
    const p95 = await kpi("ticket_creation_p95", {
      minSample: { ...DEFAULT_KPI_SETTINGS.minSample, ticket_creation_p95: 1 },
    });
    expect(p95).toMatchObject({ sample: 9, status: "ok", value: Math.round(1_600 + 0.6 * 200) });
  });

  it("onboarding drop-off: judged once the window is over, the user found through the checkout or its Stripe customer, against the 7 days before", async () => {
    const within = HOUR;
    const settings = { onboardingWithinMs: within };
    const checkout = async (user: { ref?: string; stripe?: string }, paidAgo: number) =>
      event({
        source: "stripe",
        type: "stripe.checkout.session.completed",
        ago: paidAgo - 2_000, // the webhook lands two seconds after Stripe's `created`
        payload: {
          created: Math.floor(at(paidAgo).getTime() / 1000),
          data: { object: { client_reference_id: user.ref ?? null, customer: user.stripe ?? null } },
        },
      });
    const login = (userId: string, ago: number, type = "app.user.logged_in") =>
      event({ source: "app", type, ago, payload: { data: { userId } } });
    await db().insert(schema.customers).values({ externalId: "u-by-stripe", stripeCustomerId: "cus_linked" });

    // Baseline, 3 days ago: 20 checkouts, 5 never came back (25 %).
    for (let i = 0; i < 20; i++) {
      await checkout({ ref: `b${i}` }, 3 * DAY);
      if (i >= 5) await login(`b${i}`, 3 * DAY - 10 * MIN);
    }
    // This cohort (paid 2 h ago, window over 1 h ago): 10 checkouts.
    await checkout({ stripe: "cus_linked" }, 2 * HOUR);
    await login("u-by-stripe", 2 * HOUR - 1_000); // back in the app before the webhook arrived
    for (let i = 0; i < 9; i++) await checkout({ ref: `c${i}` }, 2 * HOUR);
    for (let i = 0; i < 7; i++)
      await login(`c${i}`, 2 * HOUR - 30 * MIN, i % 2 ? "app.onboarding.completed" : undefined);
    await login("c7", 2 * HOUR - 70 * MIN); // after the window: still a drop-off
    await login("c8", 2 * HOUR + 10 * MIN); // before paying: does not count
    // Paid 30 min ago: its window is still open, not judged yet.
    await checkout({ ref: "young" }, 30 * MIN);

    const ok = await kpi("onboarding_dropoff_rate", settings);
    expect(ok).toMatchObject({ value: 20, sample: 10, baseline: 25, threshold: 30, status: "ok" });
    for (let i = 0; i < 2; i++) await checkout({ ref: `d${i}` }, 2 * HOUR);
    const breached = await kpi("onboarding_dropoff_rate", settings);
    expect(breached).toMatchObject({ value: (4 / 12) * 100, sample: 12, baseline: 25, status: "breached" });
  });

  it("tickets tied to onboarding: triage intent or the app's category, against the 7 days before", async () => {
    const ticket = async (ago: number, how?: "intent" | "category") => {
      const e = await event({
        source: how === "category" ? "app" : "zendesk",
        type: how === "category" ? "app.support.requested" : "zendesk.ticket.created",
        ago,
        payload: how === "category" ? { data: { category: "Onboarding" } } : { detail: { id: randomUUID() } },
      });
      await db()
        .insert(schema.triageResults)
        .values({
          eventId: e.id,
          classifier: "rules",
          intent: how === "intent" ? "onboarding" : "how_to",
          urgency: "low",
          sentiment: "neutral",
          summary: "s",
          draftReply: "d",
          actions: [],
        });
    };
    for (let i = 0; i < 50; i++) await ticket(3 * DAY, i < 5 ? "intent" : undefined);
    // 8 days ago: outside the baseline.
    for (let i = 0; i < 10; i++) await ticket(9 * DAY, "intent");
    for (let i = 0; i < 20; i++) await ticket(HOUR, i === 0 ? "intent" : i === 1 ? "category" : undefined);
    expect(await kpi("onboarding_ticket_rate")).toMatchObject({ value: 10, baseline: 10, sample: 20, status: "ok" });
    await ticket(HOUR, "category");
    const k = await kpi("onboarding_ticket_rate");
    expect(k.value).toBeCloseTo((3 / 21) * 100, 6);
    expect(k).toMatchObject({ baseline: 10, threshold: 12, status: "breached" });
  });
});
