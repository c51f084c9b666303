import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WORK_QUEUES } from "@switchyard/events";
import { onNode, startRedisCluster, type TestCluster } from "@switchyard/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { expectEveryEventOnce } from "./testing/failover-expect.ts";
import { type FailoverResult, failoverRun, logFigures, outcomeOf } from "./testing/failover-run.ts";

const SIGNUPS = 4_000;
const SUPPORT = 1_000;
const REDELIVERIES = 1_000;

describe("Redis Cluster", () => {
  const dir = mkdtempSync(join(tmpdir(), "sy-cluster-"));
  let cluster: TestCluster | undefined;
  let result: FailoverResult | undefined;
  afterAll(async () => {
    await result?.stop();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("5,000 events with 20% re-deliveries survive a kill -9 of the master holding crm-sync, queues spread over the masters", async () => {
    cluster = await startRedisCluster(dir);
    const c = cluster;
    // Each queue's keys carry its own hash tag: `failover:{crm-sync}:crm-sync:…`.
    const slots = new Map(
      await Promise.all(WORK_QUEUES.map(async (q) => [q, await c.keyslot(`failover:{${q}}:${q}:wait`)] as const)),
    );
    const crmSlot = slots.get("crm-sync") ?? -1;
    const victim = await c.masterOf(crmSlot);
    const started = Date.now();
    result = await failoverRun({
      redisEnv: { REDIS_CLUSTER_NODES: c.seeds },
      signups: SIGNUPS,
      support: SUPPORT,
      redeliveries: REDELIVERIES,
      faultAfter: 2_000,
      async fault() {
        await c.nodes.find((n) => n.port === victim.port)?.kill();
      },
      async promoted() {
        for (let i = 0; i < 600; i++) {
          const owner = await c.masterOf(crmSlot).catch(() => undefined);
          if (owner && owner.port !== victim.port) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error("no replica took over crm-sync's slot");
      },
    });
    const r = result;
    const outcome = await outcomeOf(r);
    const logs = logFigures(r.procs);

    // The queues' keys, as the cluster holds them: which master answers for each queue's slot,
    // and which masters actually hold keys under the prefix.
    const owners = new Map<string, number>();
    for (const [q, slot] of slots) owners.set(q, (await c.masterOf(slot)).port);
    const holding: number[] = [];
    for (const node of c.nodes) {
      if (node.child.signalCode !== null) continue;
      const keys = await onNode(node.port, async (redis) => {
        const role = (await redis.call("ROLE")) as [string];
        return role[0] === "master" ? (await redis.keys("failover:{*")).length : 0;
      });
      if (keys > 0) holding.push(node.port);
    }
    process.stdout.write(
      `redis cluster: ${r.requests} requests, ${r.accepted.size} events accepted, ${outcome.processed} processed (${outcome.notesCorrected} notes corrected), ` +
        `${r.unavailable} answered 503 (last ${r.lastUnavailableMs} ms after the kill), promotion ${r.promotionMs} ms, ` +
        `drain ${r.drainMs} ms, queue masters ${JSON.stringify(Object.fromEntries(owners))}, masters holding keys ${holding.length}, ` +
        `log: ${JSON.stringify(logs)}, total ${Date.now() - started} ms\n`,
    );

    expectEveryEventOnce(r, outcome, { signups: SIGNUPS, support: SUPPORT, redeliveries: REDELIVERIES });
    expect(new Set(owners.values()).size).toBeGreaterThanOrEqual(2);
    expect(holding.length).toBeGreaterThanOrEqual(2);
    expect(logs.movedOrAsk, logs.movedSample.join("\n")).toBe(0);
  });
});
