import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, parseConfig } from "@switchyard/config";
import type { Db } from "@switchyard/db";
import { jobIdFor, WORK_QUEUES } from "@switchyard/events";
import { createMetrics, readSnapshots, writeSnapshot } from "@switchyard/metrics";
import { startRedisCluster, type TestCluster } from "@switchyard/testkit";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlerter } from "./alerts.ts";
import { createDispatcher } from "./dispatch.ts";
import { failingNow, startFailureWatch } from "./failure-watch.ts";
import { createRedis, keyPrefix, redisTargetOf, warnIfClusterNode } from "./redis.ts";
import { QueueRegistry } from "./registry.ts";

// A real Cluster (three masters, a replica each): every multi-key operation Switchyard makes of
// its own stays in one slot, and BullMQ's stay in their queue's. A CROSSSLOT would throw.
describe("on a Redis Cluster", () => {
  const dir = mkdtempSync(join(tmpdir(), "sy-cluster-unit-"));
  const logger = createLogger({ name: "cluster-test", level: "silent" });
  let cluster: TestCluster;
  let redis: Redis;
  let registry: QueueRegistry;
  let config: ReturnType<typeof parseConfig>;

  beforeAll(async () => {
    cluster = await startRedisCluster(dir);
    config = parseConfig({ QUEUE_PREFIX: "sy", REDIS_CLUSTER_NODES: cluster.seeds });
    redis = createRedis(redisTargetOf(config), "producer");
    registry = QueueRegistry.fromConfig(config, redis);
  }, 60_000);
  afterAll(async () => {
    await registry?.close();
    redis?.disconnect();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("puts each queue under a hash tag of its own, spread over the masters, and can enqueue in each", async () => {
    const masters = new Set<number>();
    for (const q of WORK_QUEUES) {
      const key = registry.get(q).toKey("wait");
      expect(key).toBe(`sy:{${q}}:${q}:wait`);
      masters.add((await cluster.masterOf(await cluster.keyslot(key))).port);
    }
    expect(masters.size).toBeGreaterThanOrEqual(2);
    await registry.canEnqueue();
  });

  it("finds the missing jobs of events routed to several queues, one slot at a time", async () => {
    const dispatcher = createDispatcher({ db: {} as Db, registry });
    const rows = [
      { id: "e-all", queues: ["crm-sync", "support-context", "ai-triage"] },
      { id: "e-some", queues: ["crm-sync", "billing-sync"] },
    ];
    for (const q of ["crm-sync", "support-context", "ai-triage"] as const) {
      await registry.get(q).add("x", {}, { jobId: jobIdFor("e-all") });
    }
    await registry.get("crm-sync").add("x", {}, { jobId: jobIdFor("e-some") });
    expect(await dispatcher.withoutJobs(rows)).toEqual(["e-some"]);
    await registry.get("billing-sync").add("x", {}, { jobId: jobIdFor("e-some") });
    expect(await dispatcher.withoutJobs(rows)).toEqual([]);
  });

  it("says once which variable to set when a plain REDIS_URL reaches a Cluster node", async () => {
    const url = `redis://${cluster.seeds.split(",")[0]}`;
    const plain = createRedis(url, "producer");
    const warned: string[] = [];
    warnIfClusterNode(plain, { url }, (msg) => warned.push(msg));
    for (let i = 0; i < 50 && warned.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    plain.disconnect();
    expect(warned).toEqual([expect.stringContaining("REDIS_CLUSTER_NODES")]);
  });

  it("runs the failure watch's scripts, the alert windows and the metrics snapshots without crossing slots", async () => {
    const prefix = keyPrefix(config);
    expect(prefix).toBe("{sy}");
    const alerter = createAlerter({ redis, prefix, logger, windowMs: 60_000 });
    const watch = startFailureWatch({ redis, prefix, alerter, config, logger });
    await watch.failed({
      queue: "crm-sync",
      jobId: "evt-1",
      jobName: "app.user.signed_up",
      reason: "upstream_unavailable",
      error: "HubSpot answered 502",
      attemptsMade: 1,
      attempts: 8,
      backoff: 2_000,
      parked: false,
    });
    expect((await failingNow(redis, prefix)).map((e) => e.reason)).toEqual(["upstream_unavailable"]);
    await watch.succeeded("crm-sync", "evt-1", "app.user.signed_up", true);
    await watch.tick();
    await alerter.notify("upstream_unavailable", { queue: "crm-sync", jobName: "x", error: "e" });
    await alerter.notify("upstream_unavailable", { queue: "crm-sync", jobName: "x", error: "e" });
    await watch.close();

    const metrics = createMetrics();
    await writeSnapshot(redis, prefix, metrics, 60_000);
    expect(await readSnapshots(redis, prefix)).toHaveLength(1);
  });
});
