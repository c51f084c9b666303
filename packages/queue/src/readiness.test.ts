import { type RedisServer, startRedisServer, uniquePrefix } from "@switchyard/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis } from "./redis.ts";
import { QueueRegistry } from "./registry.ts";

// A managed Redis's failover moves a name: for a moment it can reach a node that is now a replica,
// which answers PING and refuses every write. Readiness is a write, so it says so.
describe("readiness is a write round trip", () => {
  let primary: RedisServer;
  let other: RedisServer;
  let redis: Redis;
  let registry: QueueRegistry;

  beforeAll(async () => {
    [primary, other] = await Promise.all([startRedisServer(), startRedisServer()]);
    redis = createRedis(primary.url, "producer");
    redis.on("error", () => {});
    registry = new QueueRegistry({ connection: redis, prefix: uniquePrefix("ready") });
  });
  afterAll(async () => {
    await registry?.close();
    redis?.disconnect();
    await Promise.all([primary?.stop(), other?.stop()]);
  });

  it("fails while the node refuses writes though it answers pings, and passes again once it is a master", async () => {
    await registry.canEnqueue();
    await redis.call("REPLICAOF", "127.0.0.1", String(other.port));
    await new Promise((r) => setTimeout(r, 1_100)); // past the cached answer
    expect(await redis.ping()).toBe("PONG");
    await expect(registry.canEnqueue()).rejects.toThrow(/READONLY|timed out/);
    await redis.call("REPLICAOF", "NO", "ONE");
    await new Promise((r) => setTimeout(r, 1_100));
    await registry.canEnqueue();
  });

  it("shares one answer between callers for a second", async () => {
    const first = registry.canEnqueue();
    expect(registry.canEnqueue()).toBe(first);
    await first;
  });
});
