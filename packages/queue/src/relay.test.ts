import { createLogger } from "@switchyard/config";
import { recordEvent, schema } from "@switchyard/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDispatcher } from "./dispatch.ts";
import { createRelay } from "./relay.ts";
import { type QueueFixture, queueFixture } from "./testing/fixture.ts";

describe("dispatcher and relay", () => {
  let fx: QueueFixture;
  const logger = createLogger({ name: "relay-test", level: "silent" });

  beforeAll(async () => {
    fx = await queueFixture("relay");
  });
  afterAll(() => fx.close());

  const record = (id: string, queues: string[]) =>
    recordEvent(fx.handle.db, {
      source: "app",
      sourceEventId: id,
      type: "app.support.requested",
      payloadHash: "h",
      payload: { id },
      status: "received",
      queues,
      receivedAt: new Date(Date.now() - 60_000),
    });

  it("dispatching the same event twice leaves one job per routed queue", async () => {
    const { event } = await record("twice", ["support-context", "ai-triage"]);
    const dispatcher = createDispatcher({ db: fx.handle.db, registry: fx.registry });
    await dispatcher.dispatch(event);
    await dispatcher.dispatch(event);
    expect(await fx.registry.get("support-context").count()).toBe(1);
    expect(await fx.registry.get("ai-triage").count()).toBe(1);
    const job = await fx.registry.get("ai-triage").getJob(`evt-${event.id}`);
    expect(job?.data).toMatchObject({ eventId: event.id, source: "app", payload: { id: "twice" } });
  });

  it("two relays draining one backlog together enqueue each event exactly once", async () => {
    for (let i = 0; i < 60; i++) await record(`backlog-${i}`, ["crm-sync"]);
    const make = () =>
      createRelay({
        db: fx.handle.db,
        dispatcher: createDispatcher({ db: fx.handle.db, registry: fx.registry }),
        logger,
        intervalMs: 60_000,
        graceMs: 0,
        batchSize: 7,
      });
    const [a, b] = await Promise.all([make().runOnce(), make().runOnce()]);
    expect(a + b).toBe(60);
    expect(await fx.registry.get("crm-sync").count()).toBe(60);
    const left = await fx.handle.db.$count(schema.events, undefined);
    expect(left).toBe(61);
    expect(await make().runOnce()).toBe(0);
  });
});
