import { randomUUID } from "node:crypto";
import { createLogger, parseConfig } from "@switchyard/config";
import { createDb, type DbHandle, eq, runMigrations, schema } from "@switchyard/db";
import { KPI_KEYS, type Kpi, type KpiKey, kpiSettings } from "@switchyard/domain";
import { createAlerter, createRedis } from "@switchyard/queue";
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  FakeServer,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KpiChecker, startKpiChecker } from "./kpi-checker.ts";
import { type AdminServer, startAdmin } from "./server.ts";

const TOKEN = "sy_admin_kpi_test_token_0123456789abcdef";
const HOUR = 3_600_000;

/**
 * Each KPI crosses its threshold on real Postgres rows; admin's own timer-driven checker and a second
 * checker on the same Redis prefix (a second admin process) both see it, and the local alert
 * receiver must get exactly one message for it.
 */
describe("business KPIs: /api/kpis and one alert per crossing", () => {
  let testDb: TestDatabase;
  let dbHandle: DbHandle;
  let admin: AdminServer;
  let other: KpiChecker;
  let otherRedis: ReturnType<typeof createRedis>;
  let alerts: FakeServer;
  let config: ReturnType<typeof parseConfig>;
  const prefix = uniquePrefix("kpis");

  beforeAll(async () => {
    alerts = await new FakeServer((req) =>
      req.path === "/hook" ? () => ({ status: 200, body: { ok: true } }) : undefined,
    ).start();
    testDb = await createTestDatabase("kpis");
    config = parseConfig({
      NODE_ENV: "test",
      QUEUE_PREFIX: prefix,
      DATABASE_URL: testDb.url,
      ADMIN_PORT: "0",
      ADMIN_TOKEN: TOKEN,
      ALERT_WEBHOOK_URL: `${alerts.url}/hook`,
      KPI_CHECK_INTERVAL_MS: "1000",
      // These scenarios are about crossings, on a handful of rows. The in-flight payment event below
      // grows past 2 s as the file runs; the payment delay has its own scenarios in the launcher.
      KPI_MIN_SAMPLE: "1,payment_sync_delay_p95=1000",
    });
    dbHandle = await createDb({ databaseUrl: config.DATABASE_URL });
    await runMigrations(dbHandle);
    const logger = createLogger({ name: "kpis-test", level: "error" });
    admin = await startAdmin({ config, dbHandle, logger, credentials: { token: TOKEN } });
    otherRedis = createRedis(TEST_REDIS_URL, "producer");
    other = startKpiChecker({
      db: dbHandle.db,
      redis: otherRedis,
      prefix,
      alerter: createAlerter({
        redis: otherRedis,
        prefix,
        logger,
        webhookUrl: config.ALERT_WEBHOOK_URL,
        windowMs: config.ALERT_WINDOW_MS,
      }),
      settings: kpiSettings(config),
      logger,
    });
  });
  afterAll(async () => {
    await other?.close();
    otherRedis?.disconnect();
    await admin?.close();
    await dbHandle?.close();
    await testDb?.drop();
    await alerts?.close();
    await deleteKeysWithPrefix(prefix);
  });

  const db = () => dbHandle.db;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${admin.port}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...init.headers },
    });
  const alertsFor = (key: KpiKey) =>
    alerts.received
      .filter((r) => r.path === "/hook")
      .map((r) => (r.body as { text: string }).text)
      .filter((t) => t.includes(`threshold: ${key} `));
  const kpiOf = async (key: KpiKey) => {
    const { kpis } = (await (await api("/api/kpis")).json()) as { kpis: Kpi[] };
    return kpis.find((k) => k.key === key);
  };

  /** Both processes check, concurrently, three times over, and admin's own timer runs twice more. */
  async function checkRepeatedly(): Promise<void> {
    for (let i = 0; i < 3; i++) await Promise.all([admin.kpis.check(), other.check(), other.check()]);
    const runs = admin.kpis.runs;
    const deadline = Date.now() + 10_000;
    while (admin.kpis.runs < runs + 2) {
      if (Date.now() > deadline) throw new Error("admin's KPI timer did not run");
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function insertEvent(values: Partial<typeof schema.events.$inferInsert> & { source: string; type: string }) {
    const [row] = await db()
      .insert(schema.events)
      .values({ sourceEventId: randomUUID(), payloadHash: randomUUID(), status: "processed", ...values })
      .returning();
    if (!row) throw new Error("event not inserted");
    return row;
  }

  async function insertCustomer(email: string) {
    const [row] = await db().insert(schema.customers).values({ email, externalId: randomUUID() }).returning();
    if (!row) throw new Error("customer not inserted");
    return row;
  }

  it("answers 401 without credentials", async () => {
    const res = await fetch(`http://127.0.0.1:${admin.port}/api/kpis`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "unauthorized", requestId: expect.any(String) } });
  });

  it("serves every KPI with its threshold, comparator and window; no data is null and ok", async () => {
    const res = await api("/api/kpis");
    expect(res.status).toBe(200);
    const { kpis } = (await res.json()) as { kpis: Kpi[] };
    expect(kpis.map((k) => k.key)).toEqual([...KPI_KEYS]);
    for (const kpi of kpis) {
      expect(Object.keys(kpi).sort()).toEqual(
        [
          "baseline",
          "comparator",
          "key",
          "label",
          "minSample",
          "note",
          "ok",
          "sample",
          "status",
          "threshold",
          "unit",
          "value",
          "window",
        ].sort(),
      );
      expect(kpi.ok).toBe(true);
    }
    expect(kpis.find((k) => k.key === "duplicate_contact_rate")).toMatchObject({
      value: null,
      unit: "%",
      threshold: 0,
      comparator: "<=",
      window: "all contacts (current state)",
    });
    expect(kpis.find((k) => k.key === "payment_sync_success_rate")).toMatchObject({
      value: null,
      threshold: 99,
      comparator: ">=",
      window: "last 24 h",
    });
    expect(kpis.find((k) => k.key === "tickets_missing_context_rate")).toMatchObject({ threshold: 2, comparator: "<" });
    expect(kpis.find((k) => k.key === "webhook_failure_rate")).toMatchObject({ threshold: 1, comparator: "<" });
    expect(kpis.find((k) => k.key === "manual_overrides_per_week")).toMatchObject({
      value: 0,
      unit: "count",
      threshold: 10,
      comparator: "<=",
      window: "last 7 days",
    });
    expect(kpis.find((k) => k.key === "openai_error_rate")).toMatchObject({ value: null, threshold: 5 });
    expect(kpis.find((k) => k.key === "payment_sync_delay_p95")).toMatchObject({ unit: "ms", threshold: 2_000 });
    expect(kpis.find((k) => k.key === "ticket_creation_success_rate")).toMatchObject({ threshold: 99 });
    expect(kpis.find((k) => k.key === "onboarding_dropoff_rate")).toMatchObject({ threshold: null, status: "no_data" });
    // "No data" says why, in the API and on the console.
    expect(kpis.find((k) => k.key === "ticket_creation_p95")?.note).toMatch(/^no support request from the app/);
    const page = await (await api("/console")).text();
    expect(page).toMatch(/data-kpi="ticket_creation_p95">[\s\S]*?no data[\s\S]*?no support request from the app/);
    await checkRepeatedly();
    expect(alerts.received).toHaveLength(0);
  });

  it("duplicate CRM contacts: one contact sharing another's email breaches 0, and alerts once", async () => {
    const a = await insertCustomer("dup@example.com");
    const b = await insertCustomer("Dup@Example.com");
    await db()
      .insert(schema.crmContacts)
      .values([
        { customerId: a.id, email: "dup@example.com", lifecycleStage: "lead" },
        { customerId: b.id, email: "DUP@example.com ", lifecycleStage: "lead" },
      ]);
    await checkRepeatedly();
    expect(await kpiOf("duplicate_contact_rate")).toMatchObject({ value: 50, ok: false });
    expect(alertsFor("duplicate_contact_rate")).toHaveLength(1);
    expect(alertsFor("duplicate_contact_rate")[0]).toContain("Duplicate CRM contacts is 50%");
  });

  it("a KPI that recovers and breaches again alerts again, once", async () => {
    const [dup] = await db()
      .delete(schema.crmContacts)
      .where(eq(schema.crmContacts.email, "DUP@example.com "))
      .returning();
    if (!dup) throw new Error("no duplicate to remove");
    await checkRepeatedly();
    expect(await kpiOf("duplicate_contact_rate")).toMatchObject({ value: 0, ok: true });
    expect(alertsFor("duplicate_contact_rate")).toHaveLength(1);
    await db().insert(schema.crmContacts).values(dup);
    await checkRepeatedly();
    expect(alertsFor("duplicate_contact_rate")).toHaveLength(2);
  });

  it("payment sync success: one failed payment event of two is 50%, under 99%, and alerts once", async () => {
    for (const outcome of ["completed", "failed"] as const) {
      const event = await insertEvent({
        source: "stripe",
        type: "stripe.invoice.paid",
        queues: ["billing-sync"],
        status: outcome === "completed" ? "processed" : "received",
      });
      if (outcome === "completed") {
        await db()
          .insert(schema.deliveries)
          .values({ consumer: `billing-sync/${event.type}`, eventId: event.id, status: "completed" });
      } else {
        await db().insert(schema.failures).values({
          eventId: event.id,
          queue: "billing-sync",
          jobName: event.type,
          jobId: event.id,
          reason: "billing_timeout",
          attempts: 8,
        });
      }
    }
    // Still in flight: counts for neither side.
    await insertEvent({ source: "stripe", type: "stripe.invoice.paid", queues: ["billing-sync"], status: "received" });
    await checkRepeatedly();
    expect(await kpiOf("payment_sync_success_rate")).toMatchObject({ value: 50, ok: false });
    expect(alertsFor("payment_sync_success_rate")).toHaveLength(1);
  });

  it("tickets missing context: a ticket without a context note breaches 2%, and alerts once", async () => {
    const [withNote] = await db()
      .insert(schema.supportTickets)
      .values({ externalId: "t-with-note", createdAt: new Date(Date.now() - HOUR) })
      .returning();
    if (!withNote) throw new Error("ticket not inserted");
    await db()
      .insert(schema.supportNotes)
      .values({ ticketId: withNote.id, idempotencyKey: "context-1", kind: "context", body: "context" });
    // Too young to judge: support-context may still be writing its note.
    await db().insert(schema.supportTickets).values({ externalId: "t-just-opened" });
    await checkRepeatedly();
    expect(await kpiOf("tickets_missing_context_rate")).toMatchObject({ value: 0, ok: true });
    expect(alertsFor("tickets_missing_context_rate")).toHaveLength(0);

    await db()
      .insert(schema.supportTickets)
      .values({ externalId: "t-no-note", createdAt: new Date(Date.now() - HOUR) });
    await checkRepeatedly();
    expect(await kpiOf("tickets_missing_context_rate")).toMatchObject({ value: 50, ok: false });
    expect(alertsFor("tickets_missing_context_rate")).toHaveLength(1);
  });

  it("webhook failures: a rejected webhook among few breaches 1%, and alerts once", async () => {
    const before = await kpiOf("webhook_failure_rate");
    expect(before).toMatchObject({ value: 0, ok: true });
    await insertEvent({ source: "hubspot", type: "hubspot.contact.creation", status: "rejected" });
    // First-party app events are not webhooks.
    await insertEvent({ source: "app", type: "app.user.signed_up", status: "rejected" });
    await checkRepeatedly();
    expect(await kpiOf("webhook_failure_rate")).toMatchObject({ value: 25, ok: false });
    expect(alertsFor("webhook_failure_rate")).toHaveLength(1);
  });

  it("manual overrides: the eleventh override through the admin API in a week breaches 10, and alerts once", async () => {
    const customer = await insertCustomer("override@example.com");
    // An override older than the window does not count.
    await db()
      .insert(schema.auditLog)
      .values({ actor: "ops", action: "customer.override", createdAt: new Date(Date.now() - 8 * 24 * HOUR) });
    for (let i = 0; i < 10; i++) {
      const res = await api(`/api/customers/${customer.id}/override`, {
        method: "POST",
        body: JSON.stringify({ status: i % 2 ? "entitled" : null, reason: `goodwill credit ${i}` }),
      });
      expect(res.status).toBe(200);
    }
    await checkRepeatedly();
    expect(await kpiOf("manual_overrides_per_week")).toMatchObject({ value: 10, ok: true });
    expect(alertsFor("manual_overrides_per_week")).toHaveLength(0);

    const res = await api(`/api/customers/${customer.id}/override`, {
      method: "POST",
      body: JSON.stringify({ status: "entitled", reason: "one more goodwill credit" }),
    });
    expect(res.status).toBe(200);
    await checkRepeatedly();
    expect(await kpiOf("manual_overrides_per_week")).toMatchObject({ value: 11, ok: false });
    expect(alertsFor("manual_overrides_per_week")).toHaveLength(1);
  });

  it("OpenAI errors: a degraded triage and a failed one out of four attempts breach 5%, and alert once", async () => {
    const triage = async (classifier: string, degraded: boolean) => {
      const event = await insertEvent({ source: "zendesk", type: "zendesk.ticket.created", queues: ["ai-triage"] });
      await db()
        .insert(schema.triageResults)
        .values({
          eventId: event.id,
          classifier,
          degraded,
          degradedReason: degraded ? "ai_timeout" : null,
          intent: "question",
          urgency: "low",
          sentiment: "neutral",
          summary: "s",
          draftReply: "d",
          actions: [],
        });
    };
    await triage("openai", false);
    await triage("openai", false);
    // The rules classifier with no model configured never called OpenAI.
    await triage("rules", false);
    await checkRepeatedly();
    expect(await kpiOf("openai_error_rate")).toMatchObject({ value: 0, ok: true });

    await triage("rules", true);
    const failed = await insertEvent({ source: "zendesk", type: "zendesk.ticket.created", queues: ["ai-triage"] });
    await db().insert(schema.failures).values({
      eventId: failed.id,
      queue: "ai-triage",
      jobName: failed.type,
      jobId: failed.id,
      reason: "ai_invalid_output",
      attempts: 5,
    });
    await checkRepeatedly();
    expect(await kpiOf("openai_error_rate")).toMatchObject({ value: 50, ok: false });
    expect(alertsFor("openai_error_rate")).toHaveLength(1);
  });

  it("a KPI under its minimum sample shows its value but neither alerts nor recovers", async () => {
    const strictPrefix = uniquePrefix("kpis_strict");
    const logger = createLogger({ name: "kpis-test", level: "error" });
    const sent: { key: string }[] = [];
    const strict = startKpiChecker({
      db: db(),
      redis: otherRedis,
      prefix: strictPrefix,
      alerter: {
        notify: async () => {},
        notifyKpi: async (kpi: { key: string }) => {
          sent.push(kpi);
        },
      } as unknown as Parameters<typeof startKpiChecker>[0]["alerter"],
      settings: { ...kpiSettings(config), minSample: Object.fromEntries(KPI_KEYS.map((k) => [k, 1_000])) as never },
      logger,
    });
    const kpis = await strict.check();
    expect(kpis.find((k) => k.key === "duplicate_contact_rate")).toMatchObject({
      value: 50,
      ok: true,
      status: "low_sample",
      note: "2 measured, 1000 needed before it can alert",
    });
    // Only the count, which has no sample, is still judged (and breached) there.
    expect(sent.map((k) => k.key)).toEqual(["manual_overrides_per_week"]);
    await strict.close();
    await deleteKeysWithPrefix(strictPrefix);
  });

  it("every alert is one per crossing: nothing else was sent", async () => {
    const counts = Object.fromEntries(KPI_KEYS.map((k) => [k, alertsFor(k).length]));
    expect(counts).toEqual({
      duplicate_contact_rate: 2,
      payment_sync_success_rate: 1,
      tickets_missing_context_rate: 1,
      webhook_failure_rate: 1,
      manual_overrides_per_week: 1,
      openai_error_rate: 1,
      payment_sync_delay_p95: 0,
      ticket_creation_success_rate: 0,
      ticket_creation_p95: 0,
      onboarding_dropoff_rate: 0,
      onboarding_ticket_rate: 0,
    });
    expect(alerts.received).toHaveLength(7);
  });
});
