import { deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from "@switchyard/testkit";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis } from "./redis.ts";

// patches/ioredis@6.0.0.patch: a pipeline finds its client's scripts through accessors on a
// shared prototype instead of copying all of them onto itself.
describe("ioredis pipelines (patched)", () => {
  const prefix = uniquePrefix("redis-pipeline");
  let redis: Redis;
  let queue: Queue;

  beforeAll(async () => {
    redis = createRedis(TEST_REDIS_URL, "producer");
    queue = new Queue("pipeline-test", { connection: redis, prefix });
    await queue.add("first", {}, { jobId: "first" });
  });
  afterAll(async () => {
    await queue.close();
    redis.disconnect();
    await deleteKeysWithPrefix(prefix);
  });
  const scriptNames = () => Object.keys((redis as unknown as { scriptsSet: object }).scriptsSet);

  it("carries BullMQ's scripts without copying them onto each pipeline", async () => {
    const scripts = scriptNames();
    expect(scripts.length).toBeGreaterThan(10);
    const pipeline = redis.pipeline() as unknown as Record<string, unknown>;
    expect(Object.keys(pipeline).filter((key) => scripts.includes(key))).toEqual([]);
    for (const name of scripts) expect(typeof pipeline[name]).toBe("function");

    await queue.addBulk([
      { name: "a", data: {}, opts: { jobId: "a" } },
      { name: "b", data: {}, opts: { jobId: "b" } },
      { name: "a again", data: {}, opts: { jobId: "a" } },
    ]);
    expect(await queue.getJobCounts("wait")).toEqual({ wait: 3 });
  });

  it("reaches a script method replaced on the client after a pipeline was made, as a spy would", async () => {
    redis.pipeline();
    const client = redis as unknown as Record<string, unknown>;
    const [name] = scriptNames();
    if (!name) throw new Error("no scripts loaded");
    const original = client[name];
    const spy = () => "spied";
    client[name] = spy;
    try {
      expect((redis.pipeline() as unknown as Record<string, unknown>)[name]).toBe(spy);
    } finally {
      client[name] = original;
    }
    const own = redis.pipeline() as unknown as Record<string, unknown>;
    own[name] = spy;
    expect(own[name]).toBe(spy);
    expect((redis.pipeline() as unknown as Record<string, unknown>)[name]).toBe(original);
  });

  it("gives a pipeline the scripts defined after the last one was made", async () => {
    redis.pipeline();
    redis.defineCommand("echoArgument", { numberOfKeys: 0, lua: "return ARGV[1]" });
    const pipeline = redis.pipeline() as unknown as { echoArgument(arg: string): void; exec(): Promise<unknown> };
    pipeline.echoArgument("hello");
    expect(await pipeline.exec()).toEqual([[null, "hello"]]);
  });
});
