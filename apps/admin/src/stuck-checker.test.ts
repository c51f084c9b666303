import { createLogger } from "@switchyard/config";
import { recordEvent, schema, sql } from "@switchyard/db";
import { type Alerter, createAlerter, startFailureWatch } from "@switchyard/queue";
import { FakeServer } from "@switchyard/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startStuckChecker } from "./stuck-checker.ts";
import { type AdminHarness, createAdminHarness } from "./testing/harness.ts";

describe("stuck-work checker", () => {
  let h: AdminHarness;
  let hook: FakeServer;
  const logger = createLogger({ name: "stuck-test", level: "silent" });
  let clock = Date.now();

  beforeAll(async () => {
    // STUCK_AFTER_MS at its smallest, so the console's own (real) clock sees a stuck queue quickly.
    h = await createAdminHarness("stuck", { env: { STUCK_AFTER_MS: "1000" } });
    hook = await new FakeServer((req) => (req.path === "/hook" ? () => ({ status: 200 }) : undefined)).start();
  });
  afterAll(async () => {
    await hook.close();
    await h.close();
  });
  beforeEach(() => {
    hook.received.length = 0;
    clock = Date.now();
  });

  const alerter = (): Alerter =>
    createAlerter({
      redis: h.registry.connection,
      prefix: h.config.QUEUE_PREFIX,
      logger,
      webhookUrl: `${hook.url}/hook`,
      windowMs: h.config.ALERT_WINDOW_MS,
      adminUrl: "http://admin.test",
    });
  const checker = () =>
    startStuckChecker({
      db: h.dbHandle.db,
      redis: h.registry.connection,
      registry: h.registry,
      config: h.config,
      alerter: alerter(),
      logger,
      now: () => clock,
    });
  const texts = () => hook.received.map((r) => (r.body as { text: string }).text);

  it("the overview says when nothing is failing or stuck", async () => {
    const page = await (await h.get("/console")).text();
    expect(page).toContain("Nothing is failing.");
    expect(page).toContain("Nothing is stuck");
  });

  it("a queue with jobs waiting and no worker alerts once, naming it and the count; taken, it recovers", async () => {
    const queue = h.registry.get("billing-sync");
    for (let i = 0; i < 3; i++) await queue.add("stripe.invoice.paid", { n: i }, { jobId: `stuck-${i}` });
    const [a, b] = [checker(), checker()];
    await a.check();
    expect(texts()).toEqual([]);
    clock += 1_600;
    await Promise.all([a.check(), b.check(), a.check()]);
    expect(texts()).toEqual([
      [
        ":hourglass: Switchyard: billing-sync is stuck: 3 job(s) waiting, none taken for 2 s",
        "No worker is connected to billing-sync: is its process running (`node apps/billing-sync/src/main.ts`, or `pnpm start`)?",
        "<http://admin.test/queues/queue/billing-sync?status=waiting|billing-sync in Bull Board> · <http://admin.test/console|console overview>",
      ].join("\n"),
    ]);
    // The console says so too, by its own clock.
    await new Promise((r) => setTimeout(r, 1_100));
    const page = await (await h.get("/console")).text();
    expect(page).toMatch(
      /data-stuck="queue:billing-sync">[\s\S]*?3 job\(s\) waiting, none taken for \d+ s: no worker connected/,
    );

    // Taken (the launcher's stuck e2e test starts a real worker process instead).
    await queue.drain();
    clock += 1_000;
    await Promise.all([a.check(), b.check()]);
    expect(texts()).toHaveLength(2);
    expect(texts()[1]).toMatch(
      /^:white_check_mark: Switchyard: billing-sync is taking jobs again \(0 waiting\) at \d\d:\d\d:\d\d UTC$/,
    );
    await Promise.all([a.close(), b.close()]);
  });

  it("a recorded event the relay has not passed, STUCK_AFTER_MS after its grace, alerts; relayed, it recovers", async () => {
    const { event } = await recordEvent(h.dbHandle.db, {
      source: "app",
      sourceEventId: "unrelayed-1",
      type: "app.user.signed_up",
      payloadHash: "h",
      payload: {},
      status: "received",
      queues: ["crm-sync"],
      receivedAt: new Date(),
    });
    const c = checker();
    await c.check();
    expect(texts()).toEqual([]);
    // RELAY_GRACE_MS (10 s) + STUCK_AFTER_MS ago, and more.
    await h.dbHandle.db.execute(
      sql`update ${schema.events} set recorded_at = now() - interval '2 minutes' where id = ${event.id}`,
    );
    await c.check();
    expect(texts()).toEqual([
      [
        ":hourglass: Switchyard: 1 recorded event(s) not relayed to Redis, the oldest 2 min old",
        "Ingest's relay adds their jobs: is an ingest process running, and can it reach Redis and see every Postgres session?",
        "<http://admin.test/console|console overview>",
      ].join("\n"),
    ]);
    expect(await (await h.get("/console")).text()).toContain(
      "1 recorded event(s) not relayed to Redis, the oldest 120 s old",
    );
    // The relay walked past it: its jobs were in Redis when it looked.
    await h.dbHandle.db.insert(schema.relayCursor).values({ name: "events", checkedUntil: new Date() });
    await c.check();
    expect(texts()[1]).toMatch(/^:white_check_mark: Switchyard: recorded events are reaching their queues again/);
    await c.close();
  });

  it("a job retrying past its whole retry schedule alerts with its event; once it is gone, it recovers", async () => {
    const redis = h.registry.connection;
    const prefix = h.config.QUEUE_PREFIX;
    const past = Date.now() - 20 * 60_000;
    const watch = startFailureWatch({ redis, prefix, alerter: alerter(), config: h.config, logger, now: () => past });
    const eventId = "0190f0c0-0000-7000-8000-000000000001";
    const job = await h.registry
      .get("crm-sync")
      .add("app.user.signed_up", { eventId }, { jobId: "evt-long", delay: 60_000 });
    const attempt = {
      queue: "crm-sync" as const,
      jobName: "app.user.signed_up",
      eventId,
      reason: "rate_limited" as const,
      error: "rate_limited: HubSpot rate limit (429)",
      attemptsMade: 3,
      attempts: 8,
      backoff: { type: "exponential", delay: 2_000 },
      parked: false,
    };
    await watch.failed({ ...attempt, jobId: "evt-long" });
    // Listed, but its job is gone: dropped, not alerted.
    await watch.failed({ ...attempt, jobId: "evt-vanished" });
    const c = checker();
    await c.check();
    expect(texts()).toEqual([
      [
        // 8 attempts: 254 s of backoffs, 8 deadlines of 30 s, and STUCK_AFTER_MS.
        ":hourglass: Switchyard: crm-sync job `evt-long` (app.user.signed_up) has been retrying for 20 min, longer than its retry schedule allows (8 min)",
        "Last reason: rate_limited; event `0190f0c0-0000-7000-8000-000000000001`.",
        "<http://admin.test/queues/queue/crm-sync?status=delayed|crm-sync in Bull Board> · <http://admin.test/console|console overview>",
      ].join("\n"),
    ]);
    expect(await redis.zscore(`${prefix}:alerts:retrying`, "crm-sync/evt-vanished")).toBeNull();
    expect(await (await h.get("/console")).text()).toMatch(
      /data-stuck="retrying">[\s\S]*?app\.user\.signed_up retrying for \d+ s/,
    );
    await job.remove();
    await c.check();
    expect(texts()[1]).toMatch(/^:white_check_mark: Switchyard: no job is retrying past its schedule any more/);
    await c.close();
    await watch.close();
  });

  it("the overview shows a reason failing now, with what its alert will say", async () => {
    const watch = startFailureWatch({
      redis: h.registry.connection,
      prefix: h.config.QUEUE_PREFIX,
      alerter: alerter(),
      config: h.config,
      logger,
    });
    await watch.failed({
      queue: "support-context",
      jobId: "evt-zd",
      jobName: "zendesk.ticket.created",
      reason: "support_timeout",
      error: "support_timeout: <b>Zendesk</b> did not answer within 10000 ms",
      attemptsMade: 1,
      attempts: 8,
      backoff: { type: "exponential", delay: 2_000 },
      parked: false,
    });
    const page = await (await h.get("/console")).text();
    expect(page).toMatch(
      /data-failing="support_timeout">[\s\S]*?support-context \(built-in desk\)[\s\S]*?<td class="num">1<\/td>/,
    );
    expect(page).toContain("support_timeout: &lt;b&gt;Zendesk&lt;/b&gt; did not answer");
    expect(page).toContain("not yet");
    await watch.close();
  });
});
