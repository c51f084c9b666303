import { fileURLToPath } from "node:url";
import { createLogger } from "@switchyard/config";
import { count, eq, schema } from "@switchyard/db";
import { createDispatcher, createRelay, type Relay } from "@switchyard/queue";
import { checkoutCompleted, FakeServer, signStripe, TEST_REDIS_URL } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Proc, run } from "./testing/processes.ts";
import { KEYS, type System, startSystem, until } from "./testing/system.ts";
import { WORKERS } from "./workers.ts";

// At default settings (STUCK_AFTER_MS 60 s): billing-sync's process is not running while Stripe
// events arrive; admin's checker alerts, then the process starts and the queue drains.

const entry = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("stuck work, at default settings", () => {
  let sys: System;
  let receiver: FakeServer;
  let relay: Relay;
  let billing: Proc | undefined;

  beforeAll(async () => {
    receiver = await new FakeServer((req) =>
      req.path === "/slack" ? () => ({ status: 200, body: "ok" }) : undefined,
    ).start();
    sys = await startSystem({
      label: "alert_stuck",
      admin: true,
      // Every worker but billing-sync, which gets a process of its own later.
      workers: WORKERS.filter((w) => w.queue !== "billing-sync"),
      env: { ALERT_WEBHOOK_URL: `${receiver.url}/slack`, ADMIN_TOKEN: "sy_admin_alert_stuck_0123456789a" },
    });
    // As ingest runs it: with the relay passing the rows it finds enqueued, nothing but the queue is stuck.
    relay = createRelay({
      db: sys.dbHandle.db,
      dispatcher: createDispatcher({ db: sys.dbHandle.db, registry: sys.registry }),
      logger: createLogger({ name: "relay", level: "silent" }),
      intervalMs: sys.config.RELAY_INTERVAL_MS,
      graceMs: sys.config.RELAY_GRACE_MS,
    });
    relay.start();
  });
  afterAll(async () => {
    // Each step timed: a slow shutdown shows which part was slow, not only the hook's timeout.
    const steps: string[] = [];
    const timed = async (name: string, step: () => Promise<unknown> | undefined) => {
      const at = Date.now();
      await step();
      steps.push(`${name} ${Date.now() - at} ms`);
    };
    await timed("billing-sync", () => billing?.stop());
    await timed("relay", () => relay?.stop());
    await timed("system", () => sys?.close());
    await timed("receiver", () => receiver?.close());
    process.stdout.write(`alert-stuck shutdown: ${steps.join(", ")}\n`);
  }, 120_000);

  const messages = () =>
    receiver.received
      .filter((r) => r.path === "/slack")
      .map((r) => ({ at: r.at, text: (r.body as { text: string }).text }));

  it("billing-sync not running with events arriving: an alert within 90 s naming the queue and the count waiting; started, it recovers", async () => {
    let firstAt = 0;
    for (let i = 0; i < 20; i++) {
      const res = await sys.post(
        "/webhooks/stripe",
        signStripe({
          payload: checkoutCompleted({
            customer: `cus_stuck_${i}`,
            userId: `u-stuck-${i}`,
            email: `u-stuck-${i}@example.com`,
          }),
          secret: KEYS.stripe,
        }),
      );
      expect(res.status).toBe(202);
      if (i === 0) firstAt = Date.now();
      await sleep(500);
    }
    expect(await sys.registry.get("billing-sync").getJobCountByTypes("waiting")).toBe(20);

    const [alert] = await until(
      async () => {
        const stuck = messages().filter((m) => m.text.includes("billing-sync is stuck"));
        return stuck.length > 0 && stuck;
      },
      "the stuck alert",
      90_000,
    );
    const seconds = ((alert?.at ?? 0) - firstAt) / 1000;
    process.stdout.write(`first event waiting to the stuck alert: ${seconds.toFixed(1)} s\n`);
    expect(seconds).toBeLessThanOrEqual(90);
    expect(alert?.text.split("\n").slice(0, 2)).toEqual([
      expect.stringMatching(
        /^:hourglass: Switchyard: billing-sync is stuck: 20 job\(s\) waiting, none taken for \d+ s$/,
      ),
      "No worker is connected to billing-sync: is its process running (`node apps/billing-sync/src/main.ts`, or `pnpm start`)?",
    ]);
    // The console's overview shows it too.
    const page = await fetch(`${sys.adminUrl}/console`, {
      headers: { authorization: "Bearer sy_admin_alert_stuck_0123456789a" },
    });
    expect(await page.text()).toMatch(
      /data-stuck="queue:billing-sync">[\s\S]*?20 job\(s\) waiting, none taken for \d+ s: no worker connected/,
    );

    billing = run(entry("../../billing-sync/src/main.ts"), {
      DATABASE_URL: sys.config.DATABASE_URL ?? "",
      QUEUE_PREFIX: sys.config.QUEUE_PREFIX,
      REDIS_URL: TEST_REDIS_URL,
      ALERT_WEBHOOK_URL: `${receiver.url}/slack`,
    });
    await billing.waitFor("worker started");
    const startedAt = Date.now();
    const recovered = await until(
      async () =>
        messages().find((m) => m.text.startsWith(":white_check_mark: Switchyard: billing-sync is taking jobs again")),
      "the recovered message",
      30_000,
    );
    process.stdout.write(`billing-sync started to recovered: ${((recovered.at - startedAt) / 1000).toFixed(1)} s\n`);
    await sys.waitForIdle(30_000);
    const [processed] = await sys.dbHandle.db
      .select({ n: count() })
      .from(schema.events)
      .where(eq(schema.events.status, "processed"));
    expect(processed?.n).toBeGreaterThanOrEqual(20);
    // One stuck message and one recovered, and no other alert of work (no relay alert: the relay
    // kept up); the KPIs, judged apart, may well see the delay.
    const work = messages().filter((m) => !m.text.startsWith(":chart_with_downwards_trend:"));
    expect(work.map((m) => m.text.split("\n")[0])).toEqual([
      expect.stringMatching(/^:hourglass: Switchyard: billing-sync is stuck: 20 job\(s\) waiting/),
      expect.stringMatching(/^:white_check_mark: Switchyard: billing-sync is taking jobs again/),
    ]);
  }, 180_000);
});
