import { inArray, schema, sql } from "@switchyard/db";
import type { Kpi, KpiKey } from "@switchyard/domain";
import {
  appEventRequest,
  checkoutCompleted,
  FakeHubspot,
  FakeServer,
  FakeStripe,
  FakeZendesk,
  type Signed,
  signStripe,
  signZendesk,
  subscriptionUpdated,
  zendeskTicketCreated,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEYS, type System, startSystem } from "./testing/system.ts";

const ADMIN_TOKEN = "sy_admin_kpi_onboarding_0123456789abcdef";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ZD = { email: "bot@example.com", token: "zd-kpi-token" };

/**
 * Payment sync delay and the two onboarding KPIs, with Stripe's API, HubSpot and Zendesk configured
 * (their fakes). The onboarding KPIs compare a day with the 7 days before it: the baseline's traffic
 * goes through ingest and the workers like the rest, then its events are moved back in time (their
 * `received_at`, and Stripe's `created` as sent), as if it had arrived days ago.
 */
describe("payment sync delay and onboarding KPIs", () => {
  let sys: System;
  let stripe: FakeStripe;
  let hubspot: FakeHubspot;
  let zendesk: FakeZendesk;
  let alerts: FakeServer;
  beforeAll(async () => {
    stripe = await FakeStripe.start({ secretKey: "sk_test_kpi" });
    hubspot = await FakeHubspot.start({ token: "pat-kpi" });
    zendesk = await FakeZendesk.start({ email: ZD.email, apiToken: ZD.token });
    alerts = await new FakeServer((req) =>
      req.path === "/hook" ? () => ({ status: 200, body: { ok: true } }) : undefined,
    ).start();
    sys = await startSystem({
      label: "kpi_onboarding",
      admin: true,
      env: {
        STRIPE_SECRET_KEY: "sk_test_kpi",
        STRIPE_API_BASE: stripe.url,
        HUBSPOT_ACCESS_TOKEN: "pat-kpi",
        HUBSPOT_API_BASE: hubspot.url,
        ZENDESK_API_BASE: zendesk.url,
        ZENDESK_EMAIL: ZD.email,
        ZENDESK_API_TOKEN: ZD.token,
        ADMIN_TOKEN,
        ALERT_WEBHOOK_URL: `${alerts.url}/hook`,
        KPI_ONBOARDING_WITHIN_MS: String(HOUR),
      },
    });
  });
  afterAll(async () => {
    await sys.close();
    await stripe.close();
    await hubspot.close();
    await zendesk.close();
    await alerts.close();
  });

  const alertsFor = (key: KpiKey) =>
    alerts.received
      .filter((r) => r.path === "/hook")
      .map((r) => (r.body as { text: string }).text)
      .filter((t) => t.includes(`threshold: ${key} `));
  async function checked(key: KpiKey): Promise<Kpi> {
    let kpi: Kpi | undefined;
    for (let i = 0; i < 3; i++) kpi = (await sys.checkKpis()).find((k) => k.key === key);
    if (!kpi) throw new Error(`no KPI ${key}`);
    return kpi;
  }
  const eventId = async (res: Response) => {
    expect(res.status).toBe(202);
    return ((await res.json()) as { eventId: string }).eventId;
  };
  const send = async (path: string, signed: Signed) => eventId(await sys.post(path, signed));
  const app = (payload: object) => send("/v1/events", appEventRequest({ payload, apiKey: KEYS.app }));
  /** Moves events back in time by `ms`, as if they had arrived then. */
  const backdate = (ids: string[], ms: number) =>
    sys.dbHandle.db
      .update(schema.events)
      .set({
        receivedAt: sql`${schema.events.receivedAt} - ${ms}::float8 * interval '1 millisecond'`,
        recordedAt: sql`${schema.events.recordedAt} - ${ms}::float8 * interval '1 millisecond'`,
      })
      .where(inArray(schema.events.id, ids));
  const now = () => Math.floor(Date.now() / 1000);

  it("payment sync delay p95: 20 checkouts synced as they come are under 2 s; three Stripe takes 2.5 s to read breach it, once", async () => {
    for (let i = 0; i < 20; i++) {
      stripe.setSubscription({ id: `sub_p${i}`, customer: `cus_p${i}`, status: "active", plan: "pro" });
      await send(
        "/webhooks/stripe",
        signStripe({
          payload: checkoutCompleted({ customer: `cus_p${i}`, subscription: `sub_p${i}`, email: `p${i}@example.com` }),
          secret: KEYS.stripe,
        }),
      );
      // One at a time, as a shop's checkouts come in: a burst would measure the queue, not the sync.
      await sys.waitForIdle();
    }
    const fast = await checked("payment_sync_delay_p95");
    expect(fast).toMatchObject({ sample: 20, status: "ok", unit: "ms" });
    expect(fast.value).toBeLessThan(2_000);
    expect(alertsFor("payment_sync_delay_p95")).toHaveLength(0);

    stripe.fail({ match: /^GET \/v1\/subscriptions\//, latencyMs: 2_500 });
    for (let i = 0; i < 3; i++) {
      await send(
        "/webhooks/stripe",
        signStripe({
          payload: subscriptionUpdated({ customer: `cus_p${i}`, subscription: `sub_p${i}`, status: "active" }),
          secret: KEYS.stripe,
        }),
      );
    }
    await sys.waitForIdle();
    stripe.heal();
    const slow = await checked("payment_sync_delay_p95");
    expect(slow).toMatchObject({ sample: 23, status: "breached" });
    expect(slow.value).toBeGreaterThanOrEqual(2_500);
    expect(alertsFor("payment_sync_delay_p95")).toHaveLength(1);
  });

  it("onboarding drop-off: 20 % today against 20 % over the week before is ok; 33 % breaches baseline + 20 %, once", async () => {
    /** A user signs up and pays `paidAgo` ago; `back` is how they show up again within the hour, if at all. */
    async function cohort(prefix: string, paidAgo: number, backs: ("login" | "onboarded" | null)[]) {
      const moved: string[] = [];
      for (const [i, back] of backs.entries()) {
        const userId = `${prefix}${i}`;
        const email = `${userId}@example.com`;
        await app({ type: "user.signed_up", data: { userId, email } });
        stripe.setSubscription({ id: `sub_${userId}`, customer: `cus_${userId}`, status: "active", plan: "pro" });
        // Every other checkout names only its Stripe customer and email: the user is found through them.
        const checkout = checkoutCompleted({
          customer: `cus_${userId}`,
          subscription: `sub_${userId}`,
          email,
          created: now() - paidAgo / 1000,
          ...(i % 2 ? {} : { userId }),
        });
        moved.push(await send("/webhooks/stripe", signStripe({ payload: checkout, secret: KEYS.stripe })));
        if (back === "login") {
          moved.push(await app({ type: "user.logged_in", data: { userId, device: "iPhone", platform: "ios" } }));
        } else if (back === "onboarded") {
          moved.push(await app({ type: "onboarding.completed", data: { userId } }));
        }
      }
      await sys.waitForIdle();
      // Checkouts arrive with Stripe's `created` already in the past; logins ten minutes after it.
      await backdate(moved, paidAgo - 10 * 60_000);
    }
    const eightOfTen = (): ("login" | "onboarded" | null)[] =>
      Array.from({ length: 10 }, (_, i) => (i < 2 ? null : i % 2 ? "login" : "onboarded"));
    await cohort("base", 3 * DAY, eightOfTen());
    await cohort("today", 2 * HOUR, eightOfTen());
    // Paid ten minutes ago, not back yet: its hour is not over, so it is not judged.
    await cohort("young", 10 * 60_000, [null]);

    const ok = await checked("onboarding_dropoff_rate");
    expect(ok).toMatchObject({ value: 20, sample: 10, baseline: 20, status: "ok" });
    expect(ok.threshold).toBeCloseTo(24, 9);
    expect(alertsFor("onboarding_dropoff_rate")).toHaveLength(0);

    await cohort("lost", 2 * HOUR, [null, null]);
    const breached = await checked("onboarding_dropoff_rate");
    expect(breached).toMatchObject({ value: (4 / 12) * 100, sample: 12, baseline: 20, status: "breached" });
    expect(alertsFor("onboarding_dropoff_rate")).toHaveLength(1);
  });

  it("tickets tied to onboarding: 10 % today against 10 % the week before is ok; 18 % breaches, once", async () => {
    let nextTicket = 8000;
    const zendeskTicket = async (subject: string) => {
      const id = nextTicket++;
      zendesk.addTicket({ id, subject, requesterEmail: "base0@example.com" });
      const webhook = zendeskTicketCreated({ ticketId: String(id), requesterEmail: "base0@example.com" });
      webhook.detail = { ...webhook.detail, subject, description: subject } as typeof webhook.detail;
      return send("/webhooks/zendesk", signZendesk({ payload: webhook, secret: KEYS.zendesk }));
    };
    const STUCK = "I'm stuck on the setup wizard, step 2 never finishes";
    const INVOICE = "Where can I download my invoice?";
    // The week before: 20 tickets, two the triage files under onboarding.
    const baseline = [];
    for (let i = 0; i < 20; i++) baseline.push(await zendeskTicket(i < 2 ? STUCK : INVOICE));
    await sys.waitForIdle();
    await backdate(baseline, 3 * DAY);
    // Today: 10, one the app itself files under onboarding.
    for (let i = 0; i < 9; i++) await zendeskTicket(INVOICE);
    await app({
      type: "support.requested",
      data: { userId: "today0", subject: "Import", message: "How do I import my data?", category: "onboarding" },
    });
    await sys.waitForIdle();
    const ok = await checked("onboarding_ticket_rate");
    expect(ok).toMatchObject({ value: 10, sample: 10, baseline: 10, status: "ok" });
    expect(alertsFor("onboarding_ticket_rate")).toHaveLength(0);

    await zendeskTicket(STUCK);
    await sys.waitForIdle();
    const breached = await checked("onboarding_ticket_rate");
    expect(breached).toMatchObject({ value: (2 / 11) * 100, sample: 11, baseline: 10, status: "breached" });
    expect(breached.threshold).toBeCloseTo(12, 9);
    expect(alertsFor("onboarding_ticket_rate")).toHaveLength(1);
  });
});
