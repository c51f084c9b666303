import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type MovableProxy,
  startMovableProxy,
  startReplicatedPair,
  type TestReplicatedPair,
} from "@switchyard/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { expectEveryEventOnce } from "./testing/failover-expect.ts";
import { type FailoverResult, failoverRun, logFigures, outcomeOf } from "./testing/failover-run.ts";

const SIGNUPS = 4_000;
const SUPPORT = 1_000;
const REDELIVERIES = 1_000;
/** How long the provider takes to promote the replica and move its name, after the kill. */
const PROVIDER_FAILOVER_MS = 3_000;

// A managed Redis: one primary and its replica behind one name that every process was given in
// REDIS_URL. The provider promotes the replica and moves the name; nothing else changes.
describe("a single Redis behind one name (managed Redis)", () => {
  const dir = mkdtempSync(join(tmpdir(), "sy-vip-"));
  let pair: TestReplicatedPair | undefined;
  let vip: MovableProxy | undefined;
  let result: FailoverResult | undefined;
  afterAll(async () => {
    await result?.stop();
    await vip?.close();
    await pair?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("5,000 events with 20% re-deliveries survive a kill -9 of the primary: the name moved to the promoted replica is followed, no restart", async () => {
    pair = await startReplicatedPair(dir);
    const p = pair;
    const name = await startMovableProxy({ host: "127.0.0.1", port: p.primary.port });
    vip = name;
    const started = Date.now();
    result = await failoverRun({
      redisEnv: { REDIS_URL: `redis://127.0.0.1:${name.port}` },
      signups: SIGNUPS,
      support: SUPPORT,
      redeliveries: REDELIVERIES,
      faultAfter: 2_000,
      fault: () => p.primary.kill(),
      async promoted() {
        await new Promise((r) => setTimeout(r, PROVIDER_FAILOVER_MS));
        await p.promote();
        name.moveTo({ host: "127.0.0.1", port: p.replica.port });
      },
    });
    const r = result;
    const outcome = await outcomeOf(r);
    const logs = logFigures(r.procs);
    process.stdout.write(
      `redis behind one name: ${r.requests} requests, ${r.accepted.size} events accepted, ${outcome.processed} processed (${outcome.notesCorrected} notes corrected), ` +
        `${r.unavailable} answered 503 (last ${r.lastUnavailableMs} ms after the kill), name moved after ${r.promotionMs} ms, ` +
        `drain ${r.drainMs} ms, log: ${JSON.stringify(logs)}, total ${Date.now() - started} ms\n`,
    );

    expectEveryEventOnce(r, outcome, { signups: SIGNUPS, support: SUPPORT, redeliveries: REDELIVERIES });
    expect(r.unavailable).toBeGreaterThan(0);
  });
});
