import { createLogger, parseConfig } from "@switchyard/config";
import { eq, recordFailure, schema } from "@switchyard/db";
import { FakeServer, TEST_REDIS_URL } from "@switchyard/testkit";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createAlerter } from "./alerts.ts";
import { type FailedAttempt, failingNow, parkEta, startFailureWatch } from "./failure-watch.ts";
import { createRedis } from "./redis.ts";
import { type QueueFixture, queueFixture } from "./testing/fixture.ts";

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const S = 1_000;

describe("failure watch", () => {
  let fx: QueueFixture;
  let hook: FakeServer;
  const logger = createLogger({ name: "watch-test", level: "silent" });
  let clock = T0;
  let prefix = "";
  let n = 0;

  beforeAll(async () => {
    fx = await queueFixture("watch");
    hook = await new FakeServer((req) => (req.path === "/hook" ? () => ({ status: 200 }) : undefined)).start();
  });
  afterAll(async () => {
    await hook.close();
    await fx.close();
  });
  beforeEach(() => {
    // Each test its own key space under the file's prefix, so episodes never carry over.
    prefix = `${fx.prefix}-t${n++}`;
    clock = T0;
    hook.received.length = 0;
  });

  /** One process's watch: defaults but for the prefix, a HubSpot token, and the test's clock. */
  function watchFor(redis = fx.redis) {
    const config = parseConfig({
      QUEUE_PREFIX: prefix,
      HUBSPOT_ACCESS_TOKEN: "pat-watch",
      DATABASE_URL: fx.databaseUrl,
    });
    const alerter = createAlerter({
      redis,
      prefix,
      logger,
      webhookUrl: `${hook.url}/hook`,
      windowMs: config.ALERT_WINDOW_MS,
      adminUrl: "http://admin.test",
    });
    return startFailureWatch({ redis, prefix, alerter, config, logger, db: fx.handle.db, now: () => clock });
  }
  const texts = () => hook.received.map((r) => (r.body as { text: string }).text);
  const attempt = (over: Partial<FailedAttempt> = {}): FailedAttempt => ({
    queue: "crm-sync",
    jobId: "evt-1",
    jobName: "app.user.signed_up",
    reason: "upstream_unavailable",
    error: "upstream_unavailable: HubSpot answered 502",
    attemptsMade: 1,
    attempts: 8,
    backoff: { type: "exponential", delay: 2_000 },
    parked: false,
    ...over,
  });

  it("parks a job, by its own backoff, at the end of its longest retry schedule", () => {
    // 2 + 4 + ... + 128 s after the first failure of eight attempts; 64 + 128 s after the sixth.
    expect(parkEta(T0, 1, 8, { type: "exponential", delay: 2_000 })).toBe(T0 + 254 * S);
    expect(parkEta(T0, 6, 8, { type: "exponential", delay: 2_000 })).toBe(T0 + 192 * S);
    expect(parkEta(T0, 1, 3, 500)).toBe(T0 + 1_000);
    expect(parkEta(T0, 8, 8, { type: "exponential", delay: 2_000 })).toBe(T0);
  });

  it("alerts once, ALERT_AFTER_MS after the first failure, saying what fails; one recovered message after a success", async () => {
    const other = createRedis(TEST_REDIS_URL, "producer");
    const [a, b] = [watchFor(), watchFor(other)];
    await a.failed(attempt());
    clock = T0 + 2 * S;
    await b.failed(attempt({ jobId: "evt-2" }));
    await b.failed(attempt({ attemptsMade: 2 }));
    clock = T0 + 29 * S;
    await Promise.all([a.tick(), b.tick()]);
    expect(texts()).toEqual([]);
    expect(await failingNow(fx.redis, prefix)).toMatchObject([
      { reason: "upstream_unavailable", failures: 3, retrying: 2, parked: 0, alertedAt: undefined },
    ]);

    clock = T0 + 30 * S;
    await Promise.all([a.tick(), b.tick(), a.tick(), b.tick()]);
    expect(texts()).toEqual([
      [
        ":warning: Switchyard: upstream_unavailable failing in crm-sync (HubSpot) since 12:00:00 UTC",
        "> `upstream_unavailable: HubSpot answered 502`",
        // evt-2 parks 254 s after its first failure at 12:00:02; evt-1 252 s after its second.
        "3 failed attempt(s) so far: 2 job(s) retrying; if every retry fails they park between 12:04:14 and 12:04:16 UTC in failed.upstream_unavailable.",
        "<http://admin.test/console|Failing now, in the console> · <http://admin.test/queues/queue/crm-sync?status=delayed|crm-sync retries in Bull Board>",
        'No other upstream_unavailable failing alert for now: one "recovered" message follows when it stops failing.',
      ].join("\n"),
    ]);

    // A storm after the alert adds nothing; a success of the same kind of job ends it, once.
    for (let i = 0; i < 50; i++) await a.failed(attempt({ jobId: `evt-storm-${i}` }));
    clock = T0 + 40 * S;
    await Promise.all([a.tick(), b.tick()]);
    await Promise.all([
      a.succeeded("crm-sync", "evt-1", "app.user.signed_up", true),
      b.succeeded("crm-sync", "evt-2", "app.user.signed_up", true),
    ]);
    await Promise.all([a.tick(), b.tick()]);
    expect(texts()).toHaveLength(2);
    expect(texts()[1]).toBe(
      [
        ":white_check_mark: Switchyard: upstream_unavailable recovered in crm-sync (HubSpot) at 12:00:40 UTC",
        "It failed from 12:00:00 to 12:00:30 UTC: 53 failed attempt(s).",
      ].join("\n"),
    );
    expect(await failingNow(fx.redis, prefix)).toEqual([]);
    await Promise.all([a.close(), b.close()]);
    other.disconnect();
  });

  it("a lone failure followed by a success of its queue is a blip: nothing is sent", async () => {
    const w = watchFor();
    await w.failed(attempt());
    await w.tick();
    clock = T0 + 3 * S;
    await w.succeeded("crm-sync", "evt-1", "app.user.signed_up", true);
    clock = T0 + 60 * S;
    await w.tick();
    expect(texts()).toEqual([]);
    expect(await failingNow(fx.redis, prefix)).toEqual([]);
    await w.close();
  });

  it("a success of another kind of job, or of another queue, does not end it", async () => {
    const w = watchFor();
    await w.failed(attempt());
    await w.failed(attempt({ attemptsMade: 2 }));
    await w.tick();
    clock = T0 + 31 * S;
    await w.tick();
    expect(texts()).toHaveLength(1);
    // HubSpot's own contact events never call HubSpot; billing-sync is not the queue that fails.
    await w.succeeded("crm-sync", "evt-9", "hubspot.contact.creation", true);
    await w.succeeded("billing-sync", "evt-1", "app.user.signed_up", true);
    // An already-delivered job that was not failing did not call the provider either.
    await w.succeeded("crm-sync", "evt-8", "app.user.signed_up", false);
    await w.tick();
    expect(texts()).toHaveLength(1);
    // The failing job itself, even skipped, resolves it.
    await w.succeeded("crm-sync", "evt-1", "app.user.signed_up", false);
    expect(texts()).toHaveLength(2);
    expect(texts()[1]).toMatch(/^:white_check_mark: Switchyard: upstream_unavailable recovered/);
    await w.close();
  });

  it("after a recovery, the reason's next episode waits out ALERT_WINDOW_MS before it alerts", async () => {
    const w = watchFor();
    await w.failed(attempt());
    await w.failed(attempt({ attemptsMade: 2 }));
    clock = T0 + 30 * S;
    await w.tick();
    await w.succeeded("crm-sync", "evt-1", "app.user.signed_up", true);
    expect(texts()).toHaveLength(2);
    clock = T0 + 60 * S;
    await w.failed(attempt({ jobId: "evt-3" }));
    await w.failed(attempt({ jobId: "evt-3", attemptsMade: 2 }));
    clock = T0 + 200 * S;
    await w.tick();
    expect(texts()).toHaveLength(2);
    // The window (300 s) opened with the alert at 12:00:30.
    clock = T0 + 330 * S;
    await w.tick();
    expect(texts()).toHaveLength(3);
    expect(texts()[2]).toContain("upstream_unavailable failing in crm-sync (HubSpot) since 12:01:00 UTC");
    await w.close();
  });

  it("jobs that parked keep it failing until an operator resolves their failures", async () => {
    const w = watchFor();
    const rows = [];
    for (const jobId of ["evt-p1", "evt-p2"]) {
      rows.push(
        await recordFailure(fx.handle.db, {
          eventId: null,
          queue: "crm-sync",
          jobName: "app.user.signed_up",
          jobId: `${prefix}-${jobId}`,
          reason: "auth_failed",
          attempts: 1,
          lastError: "auth_failed: HubSpot rejected the credentials (401)",
          payload: {},
        }),
      );
      await w.failed(
        attempt({
          jobId: `${prefix}-${jobId}`,
          reason: "auth_failed",
          error: "auth_failed: HubSpot rejected the credentials (401)",
          parked: true,
        }),
      );
    }
    clock = T0 + 30 * S;
    await w.tick();
    expect(texts()).toHaveLength(1);
    expect(texts()[0]).toContain("2 failed attempt(s) so far: no job is retrying, 2 already parked.");
    for (const row of rows.slice(0, 1))
      await fx.handle.db.update(schema.failures).set({ status: "discarded" }).where(eq(schema.failures.id, row.id));
    clock = T0 + 45 * S;
    await w.tick();
    expect(texts()).toHaveLength(1);
    await fx.handle.db
      .update(schema.failures)
      .set({ status: "resolved" })
      .where(eq(schema.failures.id, rows[1]?.id ?? ""));
    clock = T0 + 60 * S;
    await w.tick();
    expect(texts()).toHaveLength(2);
    expect(texts()[1]).toBe(
      [
        ":white_check_mark: Switchyard: auth_failed recovered in crm-sync (HubSpot) at 12:01:00 UTC",
        "It failed from 12:00:00 to 12:00:00 UTC: 2 failed attempt(s).",
        "Every job that failed has since succeeded or was resolved in the console.",
      ].join("\n"),
    );
    await w.close();
  });

  it("shows what an event put in the error inert: no mention, no link, no formatting, one line", async () => {
    const w = watchFor();
    const error =
      "invalid_payload: stripe.invoice.paid: data.object.metadata.<!channel> <!here> <@U123> <https://evil.example|click>: Invalid input\n*Recovered* `ok` & done";
    await w.failed(attempt({ queue: "billing-sync", reason: "invalid_payload", error, parked: true }));
    clock = T0 + 30 * S;
    await w.tick();
    expect(texts()[0]?.split("\n")[1]).toBe(
      "> `invalid_payload: stripe.invoice.paid: data.object.metadata.&lt;!channel&gt; &lt;!here&gt; &lt;@U123&gt; &lt;https://evil.example|click&gt;: Invalid input *Recovered* 'ok' &amp; done`",
    );
    expect(texts()[0]?.split("\n")[0]).toBe(
      ":warning: Switchyard: invalid_payload failing in billing-sync (Stripe events) since 12:00:00 UTC",
    );
    await w.close();
  });
});
