import { like, schema, sql } from "@switchyard/db";
import { checkoutCompleted, FakeServer, signStripe } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEYS, type System, startSystem, until } from "./testing/system.ts";

const ADMIN_TOKEN = "sy_admin_kpi_webhooks_0123456789abcdef";

/**
 * The secret was rotated in Stripe's dashboard and never updated here: a share of deliveries fails
 * its signature. Nothing is written for them, yet the KPI must see them, at default settings.
 */
describe("webhook_failure_rate counts refused deliveries, not only recorded rows", () => {
  let sys: System;
  let alerts: FakeServer;
  beforeAll(async () => {
    alerts = await new FakeServer((req) =>
      req.path === "/hook" ? () => ({ status: 200, body: { ok: true } }) : undefined,
    ).start();
    sys = await startSystem({
      label: "kpi_webhooks",
      admin: true,
      env: { ADMIN_TOKEN, ALERT_WEBHOOK_URL: `${alerts.url}/hook` },
    });
  });
  afterAll(async () => {
    await sys.close();
    await alerts.close();
  });

  const alertsFor = (key: string) =>
    alerts.received
      .filter((r) => r.path === "/hook")
      .map((r) => (r.body as { text: string }).text)
      .filter((t) => t.includes(`threshold: ${key} `));
  const webhookKpi = async () => (await sys.checkKpis()).find((k) => k.key === "webhook_failure_rate");
  const stripe = (customer: string, secret: string) =>
    sys.post(
      "/webhooks/stripe",
      signStripe({
        payload: checkoutCompleted({ customer, email: `${customer}@example.com`, userId: `u-${customer}` }),
        secret,
      }),
    );

  it("200 good Stripe deliveries: 0 %, ok, no alert", async () => {
    const statuses = await Promise.all(Array.from({ length: 200 }, (_, i) => stripe(`cus_ok_${i}`, KEYS.stripe)));
    expect(statuses.every((r) => r.status === 202)).toBe(true);
    await sys.waitForIdle(60_000);
    for (let i = 0; i < 3; i++) {
      expect(await webhookKpi()).toMatchObject({ value: 0, sample: 200, ok: true, status: "ok" });
    }
    expect(alertsFor("webhook_failure_rate")).toHaveLength(0);
  });

  it("40 wrong-signature deliveries among them: 40/240 = 16.7 %, one alert, and no row for the 40", async () => {
    const rowsBefore = await sys.dbHandle.db.select({ n: sql<number>`count(*)::int` }).from(schema.events);
    const forged = await Promise.all(
      Array.from({ length: 40 }, (_, i) => stripe(`cus_forged_${i}`, "whsec_rotated_in_stripe_not_here_0123")),
    );
    expect(forged.map((r) => r.status)).toEqual(Array(40).fill(401));

    // The counts reach Postgres in the background, a moment after the answers.
    const kpi = await until(async () => {
      const k = await webhookKpi();
      return k?.sample === 240 ? k : undefined;
    }, "the 40 refusals counted");
    expect(kpi.value).toBe((40 / 240) * 100);
    expect(Number(kpi.value?.toFixed(1))).toBe(16.7);
    expect(kpi).toMatchObject({
      ok: false,
      status: "breached",
      threshold: 1,
      note: "refused or rejected: stripe auth_failed 40",
    });

    // Checked again and again, by the timer and by hand: still one message.
    for (let i = 0; i < 5; i++) await sys.checkKpis();
    const sent = alertsFor("webhook_failure_rate");
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain("Webhook failures is 16.67% (last 24 h)");

    const db = sys.dbHandle.db;
    const [rowsAfter] = await db.select({ n: sql<number>`count(*)::int` }).from(schema.events);
    expect(rowsAfter?.n).toBe(rowsBefore[0]?.n);
    expect(
      await db.select().from(schema.events).where(sql`${schema.events.payload}::text like '%cus_forged_%'`),
    ).toEqual([]);
    expect(await db.select().from(schema.customers).where(like(schema.customers.email, "cus_forged_%"))).toEqual([]);
  });
});
