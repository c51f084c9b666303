import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSentinelSet, type TestSentinels } from "@switchyard/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { expectEveryEventOnce } from "./testing/failover-expect.ts";
import { type FailoverResult, failoverRun, logFigures, outcomeOf } from "./testing/failover-run.ts";

const SIGNUPS = 4_000;
const SUPPORT = 1_000;
const REDELIVERIES = 1_000;

describe("Redis Sentinel", () => {
  const dir = mkdtempSync(join(tmpdir(), "sy-sentinel-"));
  let set: TestSentinels | undefined;
  let result: FailoverResult | undefined;
  afterAll(async () => {
    await result?.stop();
    await set?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("5,000 events with 20% re-deliveries survive a kill -9 of the primary: the promoted replica is followed, no restart", async () => {
    set = await startSentinelSet(dir);
    const s = set;
    const started = Date.now();
    result = await failoverRun({
      redisEnv: { REDIS_SENTINELS: s.list, REDIS_SENTINEL_MASTER: s.master },
      signups: SIGNUPS,
      support: SUPPORT,
      redeliveries: REDELIVERIES,
      faultAfter: 2_000,
      fault: () => s.primary.kill(),
      async promoted() {
        for (let i = 0; i < 600; i++) {
          if ((await s.masterPort()) === s.replica.port) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error("the Sentinels never promoted the replica");
      },
    });
    const r = result;
    const outcome = await outcomeOf(r);
    const logs = logFigures(r.procs);
    process.stdout.write(
      `redis sentinel: ${r.requests} requests, ${r.accepted.size} events accepted, ${outcome.processed} processed (${outcome.notesCorrected} notes corrected), ` +
        `${r.unavailable} answered 503 (last ${r.lastUnavailableMs} ms after the kill), promotion ${r.promotionMs} ms, ` +
        `drain ${r.drainMs} ms, log: ${JSON.stringify(logs)}, total ${Date.now() - started} ms\n`,
    );

    expectEveryEventOnce(r, outcome, { signups: SIGNUPS, support: SUPPORT, redeliveries: REDELIVERIES });
    expect(r.unavailable).toBeGreaterThan(0);
    expect(await s.masterPort()).toBe(s.replica.port);
  });
});
