import { parseConfig } from "@switchyard/config";
import { describe, expect, it } from "vitest";
import { createRedis, keyPrefix, queuePrefix, redisTargetOf, throttledErrors } from "./redis.ts";
import { QueueRegistry } from "./registry.ts";

describe("key names per topology", () => {
  it("on one Redis (and Sentinel) are QUEUE_PREFIX's, exactly as before", () => {
    for (const env of [{}, { REDIS_SENTINELS: "127.0.0.1:26379" }]) {
      const config = parseConfig({ QUEUE_PREFIX: "sy", ...env });
      expect(queuePrefix(config, "crm-sync")).toBe("sy");
      expect(keyPrefix(config)).toBe("sy");
      const redis = createRedis("redis://127.0.0.1:1", "producer");
      redis.on("error", () => {});
      const registry = new QueueRegistry({ connection: redis, prefix: "sy" });
      expect(registry.get("crm-sync").toKey("wait")).toBe("sy:crm-sync:wait");
      expect(registry.failures()[0]?.toKey("wait")).toMatch(/^sy:failed\.[a-z_]+:wait$/);
      redis.disconnect();
    }
  });

  it("on a Cluster give each queue a hash tag of its own and Switchyard's keys one slot", () => {
    const config = parseConfig({ QUEUE_PREFIX: "{sy}", REDIS_CLUSTER_NODES: "127.0.0.1:7000,127.0.0.1:7001" });
    expect(redisTargetOf(config).clusterNodes).toEqual(["127.0.0.1:7000", "127.0.0.1:7001"]);
    expect(queuePrefix(config, "crm-sync")).toBe("sy:{crm-sync}");
    expect(keyPrefix(config)).toBe("{sy}");
    const redis = createRedis("redis://127.0.0.1:1", "producer");
    redis.on("error", () => {});
    const registry = new QueueRegistry({ connection: redis, prefix: "{sy}", clustered: true });
    expect(registry.get("billing-sync").toKey("wait")).toBe("sy:{billing-sync}:billing-sync:wait");
    redis.disconnect();
  });

  it("refuses seeds that are not host:port", () => {
    expect(() => parseConfig({ REDIS_CLUSTER_NODES: "127.0.0.1" })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(() => parseConfig({ REDIS_SENTINELS: "a:1, b" })).toThrow(/REDIS_SENTINELS/);
  });
});

describe("throttledErrors", () => {
  it("logs the first error, then at most one line per period with the count held back", () => {
    const lines: Record<string, unknown>[] = [];
    const onError = throttledErrors((_, fields) => lines.push(fields), "worker error", 60_000);
    for (let i = 0; i < 5_000; i++) onError(new Error("MOVED 1 127.0.0.1:7000"));
    expect(lines).toHaveLength(1);
  });
});
