import { eq, type FailureRow, finishRetry, getFailure, recordFailure, resolveFailure, schema } from "@switchyard/db";
import type { ReasonCode } from "@switchyard/events";
import { TEST_REDIS_URL } from "@switchyard/testkit";
import { QueueEvents, Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discardFailure, retryAllFailures, retryFailure } from "./failure-ops.ts";
import { createRedis } from "./redis.ts";
import { parkedJobId } from "./redrive.ts";
import { type QueueFixture, queueFixture } from "./testing/fixture.ts";

describe("re-drive: one guarded transition", () => {
  let fx: QueueFixture;
  beforeAll(async () => {
    fx = await queueFixture("redrive");
  });
  afterAll(() => fx.close());

  let seq = 0;
  const db = () => fx.handle.db;
  /** A failure recorded and parked as the runtime does it; its origin job is not in Redis. */
  async function parked(reason: ReasonCode = "crm_timeout", jobId = `rd-${seq++}`): Promise<FailureRow> {
    const payload = { eventId: "00000000-0000-4000-8000-000000000000", n: jobId };
    const row = await recordFailure(db(), {
      eventId: null,
      queue: "crm-sync",
      jobName: "app.user.signed_up",
      jobId,
      reason,
      attempts: 3,
      lastError: `${reason}: no`,
      payload,
    });
    await fx.registry.failure(reason).add(
      `crm-sync/${row.jobName}`,
      {
        failureId: row.id,
        originQueue: "crm-sync",
        originJobId: jobId,
        jobName: row.jobName,
        reason,
        attempts: 3,
        lastError: `${reason}: no`,
        payload,
      },
      { jobId: parkedJobId(row.id, row.occurrences) },
    );
    return row;
  }
  const statusOf = async (id: string) => (await getFailure(db(), id))?.status;

  it("100 concurrent retries of one failure: exactly one re-drives, the rest are told it is retrying", async () => {
    const f = await parked();
    const results = await Promise.all(Array.from({ length: 100 }, () => retryFailure(db(), fx.registry, f)));
    const won = results.filter((r) => r.retried);
    expect(won).toEqual([{ retried: true, outcome: "re-added" }]);
    expect(results.filter((r) => !r.retried && r.status === "retrying")).toHaveLength(99);
    expect(await statusOf(f.id)).toBe("retrying");
    expect(await fx.registry.get("crm-sync").getJob(f.jobId)).toBeDefined();
  });

  it("an origin job in the failed state is retried once by 100 concurrent clicks, and stays resolved after", async () => {
    const queueName = "crm-sync";
    const jobId = "rd-failed-origin";
    let runs = 0;
    const worker = new Worker(
      queueName,
      async (job) => {
        // Other tests leave re-driven jobs waiting in crm-sync; only this one counts.
        if (job.id !== jobId) return "not ours";
        runs += 1;
        if (runs === 1) throw new Error("crm_timeout: the first run fails");
        return "ok";
      },
      { connection: createRedis(TEST_REDIS_URL, "worker"), prefix: fx.prefix, autorun: false },
    );
    const events = new QueueEvents(queueName, { connection: createRedis(TEST_REDIS_URL, "worker"), prefix: fx.prefix });
    await events.waitUntilReady();
    const job = await fx.registry.get(queueName).add("app.user.signed_up", { n: 1 }, { jobId, attempts: 1 });
    void worker.run();
    await job.waitUntilFinished(events).catch(() => {});
    expect(await job.getState()).toBe("failed");
    // The success of the re-driven run closes the failure, as the runtime's completeDelivery does.
    worker.on("completed", (j) => void resolveFailure(db(), queueName, String(j.id)));
    const f = await parked("crm_timeout", jobId);

    const results = await Promise.all(Array.from({ length: 100 }, () => retryFailure(db(), fx.registry, f)));
    expect(results.filter((r) => r.retried)).toEqual([{ retried: true, outcome: "retried" }]);
    const resolved = async () => (await statusOf(f.id)) === "resolved";
    for (let i = 0; i < 200 && !(await resolved()); i++) await new Promise((r) => setTimeout(r, 25));
    const row = await getFailure(db(), f.id);
    expect(row).toMatchObject({ status: "resolved" });
    expect(row?.resolvedAt).toBeInstanceOf(Date);
    // Late clicks, and a late end of the old claim, leave it resolved: never set back.
    const late = await Promise.all(Array.from({ length: 10 }, () => retryFailure(db(), fx.registry, f)));
    expect(late.every((r) => !r.retried && r.status === "resolved")).toBe(true);
    expect(await finishRetry(db(), f.id, f.occurrences, "open")).toBe(false);
    expect(await getFailure(db(), f.id)).toMatchObject({ status: "resolved", resolvedAt: row?.resolvedAt });
    // The first run, then the one re-drive.
    expect(runs).toBe(2);
    await worker.close();
    await events.close();
  });

  it("a retry aimed at an earlier occurrence does not re-drive one that has failed again since", async () => {
    const f = await parked();
    expect(await retryFailure(db(), fx.registry, f)).toMatchObject({ retried: true });
    // The re-driven job failed for good again: the runtime reopens the row as occurrence 2.
    const again = await recordFailure(db(), {
      eventId: null,
      queue: "crm-sync",
      jobName: f.jobName,
      jobId: f.jobId,
      reason: "crm_timeout",
      attempts: 3,
      lastError: "crm_timeout: again",
      payload: f.payload,
    });
    expect(again).toMatchObject({ status: "open", occurrences: 2 });
    expect(await retryFailure(db(), fx.registry, again, 1)).toEqual({ retried: false, status: "open", occurrences: 2 });
    // The end of the first claim touches nothing either.
    expect(await finishRetry(db(), f.id, 1, "resolved")).toBe(false);
    expect(await statusOf(f.id)).toBe("open");
    expect(await retryFailure(db(), fx.registry, again, 2)).toMatchObject({ retried: true });
  });

  it("two Retry alls at once claim disjoint sets: each failure re-driven once, 50 in all", async () => {
    const rows = await Promise.all(Array.from({ length: 50 }, () => parked("upstream_unavailable")));
    const [a, b] = await Promise.all([
      retryAllFailures(db(), fx.registry, "upstream_unavailable"),
      retryAllFailures(db(), fx.registry, "upstream_unavailable"),
    ]);
    expect((a ?? 0) + (b ?? 0)).toBe(50);
    const statuses = await db()
      .select({ status: schema.failures.status })
      .from(schema.failures)
      .where(eq(schema.failures.reason, "upstream_unavailable"));
    expect(statuses.every((s) => s.status === "retrying")).toBe(true);
    expect(await retryAllFailures(db(), fx.registry, "upstream_unavailable")).toBe(0);
    for (const f of rows) expect(await fx.registry.get("crm-sync").getJob(f.jobId)).toBeDefined();
    // Each parked copy left the failed list, as after a Retry in Bull Board.
    expect(await fx.registry.failure("upstream_unavailable").getJobCountByTypes("failed")).toBe(0);
  });

  it("discard closes an open failure once and never a resolved one", async () => {
    const f = await parked("auth_failed");
    expect(await discardFailure(db(), fx.registry, f, "test account")).toBe(true);
    expect(await discardFailure(db(), fx.registry, f, "again")).toBe(false);
    expect(await getFailure(db(), f.id)).toMatchObject({ status: "discarded", note: "test account" });
    const g = await parked("auth_failed");
    await resolveFailure(db(), "crm-sync", g.jobId);
    expect(await discardFailure(db(), fx.registry, g, "late")).toBe(false);
    expect(await statusOf(g.id)).toBe("resolved");
  });

  it("a re-drive that cannot be sent leaves the failure open to retry again", async () => {
    const f = await parked();
    const broken = {
      get: () => ({
        getJob: async () => {
          throw new Error("Redis is away");
        },
      }),
      failure: fx.registry.failure.bind(fx.registry),
    } as unknown as typeof fx.registry;
    await expect(retryFailure(db(), broken, f)).rejects.toThrow("Redis is away");
    expect(await statusOf(f.id)).toBe("open");
    expect(await retryFailure(db(), fx.registry, f)).toMatchObject({ retried: true });
  });
});
