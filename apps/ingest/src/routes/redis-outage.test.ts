import { createLogger } from "@switchyard/config";
import { createDispatcher, createRelay } from "@switchyard/queue";
import { invoicePaid, type RedisServer, signStripe, startRedisServer } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, DRIVERS, type Harness, post, SECRETS } from "../testing/harness.ts";

describe.each(DRIVERS)("Redis outage on %s", (driver) => {
  let redis: RedisServer;
  let h: Harness;
  beforeAll(async () => {
    redis = await startRedisServer();
    h = await createHarness({ driver, label: `outage_${driver}`, redisUrl: redis.url });
  });
  /** A relay on this harness's database and queues, run by hand (runOnce), never on a timer. */
  const relayWithGrace = (graceMs: number) =>
    createRelay({
      db: h.dbHandle.db,
      dispatcher: createDispatcher({ db: h.dbHandle.db, registry: h.registry }),
      logger: createLogger({ name: "relay", level: "silent" }),
      intervalMs: 60_000,
      graceMs,
    });
  afterAll(async () => {
    await redis.start().catch(() => {});
    await h.close();
    await redis.stop();
  });

  it("answers 503 with Retry-After, keeps the row received, and ends with exactly one job once Redis is back", async () => {
    await redis.stop();
    const event = invoicePaid({ customer: "cus_outage" });
    const res = await post(h, "/webhooks/stripe", signStripe({ payload: event, secret: SECRETS.stripe }));
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("queue_unavailable");
    const [row] = await h.eventRows(event.id);
    expect(row?.status).toBe("received");

    const ready = await h.app.request("/readyz");
    expect(ready.status).toBe(503);

    // The provider's retry while Redis is still down is a duplicate: counted, never a second row.
    const retry = await post(h, "/webhooks/stripe", signStripe({ payload: event, secret: SECRETS.stripe }));
    expect(retry.status).toBe(200);
    expect(await h.eventRows(event.id)).toHaveLength(1);

    await redis.start();
    const relay = relayWithGrace(1);
    await new Promise((r) => setTimeout(r, 5));
    // The answered request's own add is not lost with its timeout: BullMQ holds it until the
    // connection is back and sends it then. Whether it lands before the relay's check or the
    // relay adds the job itself, the job id is the event's, so there is one job either way.
    expect(await relay.runOnce()).toBeLessThanOrEqual(1);
    expect(await relay.runOnce()).toBe(0);
    const [after] = await h.eventRows(event.id);
    expect(await h.jobCount("billing-sync")).toBe(1);
    expect(await h.jobExists("billing-sync", after?.id ?? "")).toBe(true);
    // Readiness is a write round trip, cached for a second: it comes back by itself, promptly.
    const deadline = Date.now() + 5_000;
    let status = (await h.app.request("/readyz")).status;
    while (status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await h.app.request("/readyz")).status;
    }
    expect(status).toBe(200);
  });

  it("leaves rows younger than the grace period to their own request", async () => {
    await redis.stop();
    const event = invoicePaid({ customer: "cus_young" });
    expect((await post(h, "/webhooks/stripe", signStripe({ payload: event, secret: SECRETS.stripe }))).status).toBe(
      503,
    );
    await redis.start();
    const relay = relayWithGrace(60_000);
    expect(await relay.runOnce()).toBe(0);
    expect((await h.eventRows(event.id))[0]?.status).toBe("received");
  });
});
