import { createLogger } from "@switchyard/config";
import { createDb, type DbHandle, recordEvent, runMigrations, schema } from "@switchyard/db";
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDispatcher } from "./dispatch.ts";
import { createRedis } from "./redis.ts";
import { QueueRegistry } from "./registry.ts";
import { createRelay } from "./relay.ts";

describe("dispatcher and relay", () => {
  let testDb: TestDatabase;
  let handle: DbHandle;
  let registry: QueueRegistry;
  const prefix = uniquePrefix("relay");
  const redis = createRedis(TEST_REDIS_URL, "producer");
  const logger = createLogger({ name: "relay-test", level: "silent" });

  beforeAll(async () => {
    testDb = await createTestDatabase("relay");
    handle = await createDb({ databaseUrl: testDb.url });
    await runMigrations(handle);
    registry = new QueueRegistry({ connection: redis, prefix });
  });
  afterAll(async () => {
    await registry.close();
    redis.disconnect();
    await handle.close();
    await testDb.drop();
    await deleteKeysWithPrefix(prefix);
  });

  const record = (id: string, queues: string[]) =>
    recordEvent(handle.db, {
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
    const dispatcher = createDispatcher({ db: handle.db, registry });
    await dispatcher.dispatch(event);
    await dispatcher.dispatch(event);
    expect(await registry.get("support-context").count()).toBe(1);
    expect(await registry.get("ai-triage").count()).toBe(1);
    const job = await registry.get("ai-triage").getJob(`evt-${event.id}`);
    expect(job?.data).toMatchObject({ eventId: event.id, source: "app", payload: { id: "twice" } });
  });

  it("two relays draining one backlog together enqueue each event exactly once", async () => {
    for (let i = 0; i < 60; i++) await record(`backlog-${i}`, ["crm-sync"]);
    const make = () =>
      createRelay({
        db: handle.db,
        dispatcher: createDispatcher({ db: handle.db, registry }),
        logger,
        intervalMs: 60_000,
        graceMs: 0,
        batchSize: 7,
      });
    const [a, b] = await Promise.all([make().runOnce(), make().runOnce()]);
    expect(a + b).toBe(60);
    expect(await registry.get("crm-sync").count()).toBe(60);
    const left = await handle.db.$count(schema.events, undefined);
    expect(left).toBe(61);
    expect(await make().runOnce()).toBe(0);
  });
});
