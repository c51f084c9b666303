import { spawn } from "node:child_process";
import { once } from "node:events";
import { reconcileStripe } from "@switchyard/admin";
import { createLogger } from "@switchyard/config";
import { eq, schema, sql } from "@switchyard/db";
import { createAlerter, createDispatcher, createRedis, keyPrefix } from "@switchyard/queue";
import { checkoutCompleted, FakeStripe, signStripe, TEST_REDIS_URL } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_MAIN } from "./cli/testing.ts";
import { KEYS, type System, startSystem, until } from "./testing/system.ts";

const KEY = "sk_test_reconcile_0123456789";
const HOUR = 3_600;
const NOW = Math.floor(Date.now() / 1000);

type StripeEvent = ReturnType<typeof checkoutCompleted>;

/** A checkout Stripe holds (its subscription readable, as billing-sync reads it with a key). */
function checkout(stripe: FakeStripe, n: string, created: number): StripeEvent {
  stripe.setSubscription({ id: `sub_rc_${n}`, customer: `cus_rc_${n}`, status: "active", plan: "pro" });
  return checkoutCompleted({
    customer: `cus_rc_${n}`,
    subscription: `sub_rc_${n}`,
    userId: `u-rc-${n}`,
    email: `rc-${n}@example.com`,
    created,
  });
}

describe("the Stripe reconcile backfills what Stripe sent and ingest never received", () => {
  let sys: System;
  let stripe: FakeStripe;
  const logs: string[] = [];
  const alerts: string[] = [];
  let redis: ReturnType<typeof createRedis>;
  const first: StripeEvent[] = [];
  const missed = new Set<string>();

  const run = (since?: Date, undeliveredFirst = false) => {
    const logger = createLogger({ name: "reconcile-test", level: "info", write: (l) => logs.push(l) });
    const alerter = createAlerter({
      redis,
      prefix: keyPrefix(sys.config),
      windowMs: 60_000,
      logger: createLogger({ name: "alerts", level: "info", write: (l) => alerts.push(l) }),
    });
    return reconcileStripe(
      {
        config: sys.config,
        db: sys.dbHandle.db,
        dispatcher: createDispatcher({ db: sys.dbHandle.db, registry: sys.registry }),
        logger,
        alerter,
        metrics: sys.metrics,
      },
      { ...(since ? { since } : {}), undeliveredFirst },
    );
  };
  const stripeRows = async () => sys.dbHandle.db.select().from(schema.events).where(eq(schema.events.source, "stripe"));
  /** billing-sync's ledger rows for these Stripe events: one completed row each means processed once. */
  const billingDeliveries = async (ids: readonly string[]) => {
    const rows = await sys.dbHandle.db
      .select({ sourceEventId: schema.events.sourceEventId, status: schema.deliveries.status })
      .from(schema.deliveries)
      .innerJoin(schema.events, eq(schema.events.id, schema.deliveries.eventId))
      .where(sql`${schema.deliveries.consumer} like 'billing-sync/%' and ${schema.events.source} = 'stripe'`);
    return rows.filter((r) => ids.includes(r.sourceEventId));
  };

  beforeAll(async () => {
    stripe = await FakeStripe.start({ secretKey: KEY });
    sys = await startSystem({
      label: "reconcile",
      env: { STRIPE_SECRET_KEY: KEY, STRIPE_API_BASE: stripe.url, RETRY_BACKOFF_MS: "20" },
    });
    redis = createRedis(TEST_REDIS_URL, "producer");
    // 50 events two hours ago; ingest received 35 of them, the other 15 never arrived.
    for (let i = 0; i < 50; i++) {
      const event = checkout(stripe, `a${i}`, NOW - 2 * HOUR + i * 10);
      const delivered = i % 10 >= 3; // 0, 1, 2 of every ten are lost
      stripe.addEvent(event, { delivered });
      first.push(event);
      if (delivered)
        expect((await sys.post("/webhooks/stripe", signStripe({ payload: event, secret: KEYS.stripe }))).status).toBe(
          202,
        );
      else missed.add(event.id);
    }
    await sys.waitForIdle();
  });
  afterAll(async () => {
    redis?.disconnect();
    await sys?.close();
    await stripe?.close();
  });

  it("one run records and processes exactly the 15, alerts once; the next records none", async () => {
    expect(await stripeRows()).toHaveLength(35);
    // Stripe's rate limiter answers the first list call 429 with Retry-After: the run waits and asks again.
    stripe.rateLimit(1, 1);
    const r = await run(new Date((NOW - 24 * HOUR) * 1000));
    expect(r, r.error).toMatchObject({ status: "completed", resumed: false, seen: 50, backfilled: 15 });
    expect(stripe.listCalls()[0]?.get("created[gte]")).toBe(String(NOW - 24 * HOUR));
    expect(stripe.listCalls().length).toBe(2);

    const rows = await stripeRows();
    expect(rows).toHaveLength(50);
    const backfilled = rows.filter((e) => missed.has(e.sourceEventId));
    expect(backfilled).toHaveLength(15);
    // Recorded as the webhook would have been: source stripe, Stripe's id, its type and its body.
    for (const row of backfilled) {
      const sent = first.find((e) => e.id === row.sourceEventId);
      expect(row).toMatchObject({ type: "stripe.checkout.session.completed", queues: ["billing-sync"] });
      expect(row.payload).toMatchObject({ id: sent?.id, type: sent?.type, data: sent?.data });
      expect(row.requestId).toBe(`reconcile-${r.runId}`);
    }
    const marks = await sys.dbHandle.db.select().from(schema.backfilledEvents);
    expect(marks.map((m) => m.sourceEventId).sort()).toEqual([...missed].sort());
    expect(marks.every((m) => m.eventId && m.runId === r.runId)).toBe(true);

    await sys.waitForIdle();
    const done = await billingDeliveries([...missed]);
    expect(done).toHaveLength(15);
    expect(done.every((d) => d.status === "completed")).toBe(true);
    const customer = await sys.dbHandle.db
      .select()
      .from(schema.customers)
      .where(eq(schema.customers.stripeCustomerId, "cus_rc_a0"));
    expect(customer[0]).toMatchObject({ externalId: "u-rc-a0", subscriptionStatus: "active", entitled: true });

    // One alert for the gap, naming the count and the oldest missed event's time.
    const since = new Date((NOW - 2 * HOUR) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    const gap = alerts.filter((l) => l.includes("missed since"));
    expect(gap).toHaveLength(1);
    expect(gap[0]).toContain(`15 stripe event(s) missed since ${since}: backfilled`);
    const metric = await sys.metrics.reconcileEvents.get();
    const value = (outcome: string) => metric.values.find((v) => v.labels.outcome === outcome)?.value;
    expect([value("backfilled"), value("present")]).toEqual([15, 35]);

    // The next scheduled run starts where this one ended: nothing new, nothing recorded.
    const next = await run();
    expect(next).toMatchObject({ status: "completed", backfilled: 0 });
    // Asked for the whole day again, it lists all 50 and still records none.
    const again = await run(new Date((NOW - 24 * HOUR) * 1000));
    expect(again).toMatchObject({ status: "completed", seen: 50, backfilled: 0 });
    expect(await stripeRows()).toHaveLength(50);
    // Failed deliveries first (delivery_success=false), then the whole window: each counted once.
    const calls = stripe.listCalls().length;
    const failedFirst = await run(new Date((NOW - 24 * HOUR) * 1000), true);
    expect(failedFirst).toMatchObject({ status: "completed", seen: 50, backfilled: 0 });
    expect(
      stripe
        .listCalls()
        .slice(calls)
        .map((q) => q.get("delivery_success")),
    ).toEqual(["false", null]);
    expect(alerts.filter((l) => l.includes("missed since"))).toHaveLength(1);
  });

  it("a webhook for one of the 15 arriving after the backfill is a duplicate, processed no further", async () => {
    const late = first.find((e) => missed.has(e.id)) as StripeEvent;
    const res = await sys.post("/webhooks/stripe", signStripe({ payload: late, secret: KEYS.stripe }));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "duplicate" });
    await sys.waitForIdle();
    const rows = await sys.dbHandle.db.select().from(schema.events).where(eq(schema.events.sourceEventId, late.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.duplicates).toBe(1);
    const [delivery] = await sys.dbHandle.db
      .select()
      .from(schema.deliveries)
      .where(
        sql`${schema.deliveries.eventId} = ${rows[0]?.id} and ${schema.deliveries.consumer} like 'billing-sync/%'`,
      );
    expect(delivery).toMatchObject({ status: "completed", attempts: 1 });
  });

  it("a ./sy reconcile killed half-way is resumed from its cursor by the next run, nothing doubled", async () => {
    // 30 more events an hour ago, none delivered; pages of 10, newest first.
    const more: StripeEvent[] = [];
    for (let i = 0; i < 30; i++) {
      const event = checkout(stripe, `b${i}`, NOW - HOUR + i * 10);
      stripe.addEvent(event, { delivered: false });
      more.push(event);
    }
    const callsBefore = stripe.listCalls().length;
    // The second page is slow to come: the process is killed while it waits for it.
    stripe.fail({ match: /^GET \/v1\/events\?.*starting_after=/, latencyMs: 8_000, times: 1 });
    const child = spawn(process.execPath, [CLI_MAIN, "reconcile", "--since", "24h", "--page-size", "10"], {
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        NODE_ENV: "test",
        LOG_LEVEL: "warn",
        DATABASE_URL: sys.config.DATABASE_URL as string,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: sys.config.QUEUE_PREFIX,
        STRIPE_SECRET_KEY: KEY,
        STRIPE_API_BASE: stripe.url,
      },
      stdio: "ignore",
    });
    const exited = once(child, "exit");
    await until(async () => stripe.listCalls().length >= callsBefore + 2, "the killed run's second page", 30_000);
    child.kill("SIGKILL");
    await exited;

    const [cursor] = await sys.dbHandle.db.select().from(schema.reconcileCursor);
    expect(cursor).toMatchObject({ runPhase: "all", runSeen: 10, runBackfilled: 10 });
    expect(cursor?.runStartingAfter).toBe(more[20]?.id);
    expect(await stripeRows()).toHaveLength(60);
    // The killed process's lease would run out on its own (a minute at least); let it have run out.
    await sys.dbHandle.db.update(schema.reconcileCursor).set({ leaseUntil: sql`now() - interval '1 second'` });

    const resumed = await run();
    expect(resumed).toMatchObject({
      status: "completed",
      resumed: true,
      runId: cursor?.runId,
      seen: 80,
      backfilled: 30,
    });
    // It went on after the page the killed run had stored, not from the top.
    const calls = stripe.listCalls().slice(callsBefore + 2);
    expect(calls[0]?.get("starting_after")).toBe(more[20]?.id);

    await sys.waitForIdle();
    const rows = await stripeRows();
    expect(rows).toHaveLength(80);
    expect(new Set(rows.map((e) => e.sourceEventId)).size).toBe(80);
    const done = await billingDeliveries(more.map((e) => e.id));
    expect(done).toHaveLength(30);
    expect(done.every((d) => d.status === "completed")).toBe(true);
    expect(await sys.dbHandle.db.select().from(schema.backfilledEvents)).toHaveLength(45);
  });
});
