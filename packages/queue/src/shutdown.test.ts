import { type RedisServer, startRedisServer } from "@switchyard/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis } from "./redis.ts";
import { closeOrGiveUp } from "./shutdown.ts";

const never = () => new Promise<void>(() => {});
const pending = Symbol("pending");
const within = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p, new Promise<typeof pending>((r) => setTimeout(() => r(pending), ms))]);

describe("closeOrGiveUp", () => {
  let server: RedisServer;
  let redis: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    redis = createRedis(server.url, "producer");
    redis.on("error", () => {});
    await redis.ping();
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
  });

  it("waits for the close while Redis answers, however long it takes", async () => {
    expect(await closeOrGiveUp(Promise.resolve(), { redis })).toBe(true);
    const slow = new Promise<void>((r) => setTimeout(r, 1_500));
    expect(await closeOrGiveUp(slow, { redis, settleMs: 300 })).toBe(true);
    expect(await within(closeOrGiveUp(never(), { redis, settleMs: 300 }), 1_500)).toBe(pending);
  });

  it("passes on a close that fails", async () => {
    await expect(closeOrGiveUp(Promise.reject(new Error("no")), { redis })).rejects.toThrow("no");
  });

  it("with Redis away, gives up once nothing is in flight and it stayed away for settleMs", async () => {
    await server.stop();
    let busy = true;
    const started = performance.now();
    const giving = closeOrGiveUp(never(), { redis, idle: () => !busy, settleMs: 500, pollMs: 100 });
    // A job still in its handler is waited for, Redis or not.
    expect(await within(giving, 1_200)).toBe(pending);
    busy = false;
    expect(await giving).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_200 + 500 + 1_000);
    await server.start();
  });
});
