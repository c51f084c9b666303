import type { ReasonCode } from "@switchyard/events";
import { createTestDatabase, type TestDatabase } from "@switchyard/testkit";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle, rowsOf } from "./client.ts";
import { recordEvent } from "./events-repo.ts";
import { recordFailure } from "./failures-repo.ts";
import { completeDelivery, settleEvent, startDelivery } from "./ledger.ts";
import { runMigrations } from "./migrate.ts";

describe.each(["postgres", "pglite"] as const)("settling an event on %s", (driver) => {
  let testDb: TestDatabase | undefined;
  let handle: DbHandle;
  beforeAll(async () => {
    testDb = driver === "postgres" ? await createTestDatabase("ledger") : undefined;
    handle = await createDb(testDb ? { databaseUrl: testDb.url } : { dataDir: "memory://" });
    await runMigrations(handle);
  });
  afterAll(async () => {
    await handle.close();
    await testDb?.drop();
  });

  /** An event two consumers share: settled only when both have completed it. */
  const supportEvent = (sourceEventId: string, receivedAt = new Date()) =>
    recordEvent(handle.db, {
      source: "app",
      sourceEventId,
      type: "app.support.requested",
      payload: {},
      payloadHash: "h",
      status: "received",
      queues: ["support-context", "ai-triage"],
      receivedAt,
    });

  it("reports the event (source, receipt time) to the one call that settles it, for the latency metric", async () => {
    const receivedAt = new Date(Date.now() - 1_500);
    const { event } = await supportEvent(`ledger-${driver}`, receivedAt);
    expect(await settleEvent(handle.db, event.id)).toBeUndefined();
    for (const consumer of ["support-context/app.support.requested", "ai-triage/app.support.requested"]) {
      await startDelivery(handle.db, consumer, event.id);
    }
    // The first consumer's completion leaves the other one outstanding: not settled yet.
    expect(await completeDelivery(handle.db, "support-context/app.support.requested", event.id, null)).toBeUndefined();
    const settled = await completeDelivery(handle.db, "ai-triage/app.support.requested", event.id, null);
    expect(settled).toEqual({ source: "app", receivedAt });
    // Settling again (a skipped re-delivery) reports nothing: the latency is observed once.
    expect(await settleEvent(handle.db, event.id)).toBeUndefined();
  });

  it("a re-driven job's completion resolves its parked failure in the same statement", async () => {
    const { event } = await supportEvent(`ledger-redriven-${driver}`);
    const failureOf = async () =>
      rowsOf<{ status: string; resolved_at: unknown }>(
        await handle.db.execute(sql`select status, resolved_at from failures where event_id = ${event.id}`),
      )[0];
    await recordFailure(handle.db, {
      eventId: event.id,
      queue: "ai-triage",
      jobName: "app.support.requested",
      jobId: `evt-${event.id}`,
      reason: "ai_timeout",
      attempts: 3,
      lastError: "ai_timeout: no answer",
      payload: {},
    });
    await startDelivery(handle.db, "ai-triage/app.support.requested", event.id);
    // Another job's completion leaves this failure alone.
    await completeDelivery(handle.db, "support-context/app.support.requested", event.id, null, {
      queue: "support-context",
      id: `evt-${event.id}`,
    });
    expect((await failureOf())?.status).toBe("open");
    await completeDelivery(
      handle.db,
      "ai-triage/app.support.requested",
      event.id,
      { ok: true },
      {
        queue: "ai-triage",
        id: `evt-${event.id}`,
      },
    );
    const failure = await failureOf();
    expect(failure?.status).toBe("resolved");
    expect(failure?.resolved_at).not.toBeNull();
  });

  it("makes an event `failed` once its other queues are done, and `processed` when the re-driven job completes", async () => {
    const { event } = await supportEvent(`ledger-failed-${driver}`);
    const statusOf = async () =>
      rowsOf<{ status: string; reason: string | null }>(
        await handle.db.execute(sql`select status, reason from events where id = ${event.id}`),
      )[0];
    const fail = (queue: string, jobId: string, reason: ReasonCode) =>
      recordFailure(handle.db, {
        eventId: event.id,
        queue,
        jobName: "app.support.requested",
        jobId,
        reason,
        attempts: 3,
        lastError: `${reason}: no answer`,
        payload: {},
      });
    for (const consumer of ["support-context/app.support.requested", "ai-triage/app.support.requested"])
      await startDelivery(handle.db, consumer, event.id);
    // A replay's job in support-context fails: that queue's routed job still owes the event a run.
    await fail("support-context", `evt-${event.id}-replay-1`, "support_timeout");
    await fail("ai-triage", `evt-${event.id}`, "ai_timeout");
    expect(await settleEvent(handle.db, event.id)).toBeUndefined();
    expect(await statusOf()).toEqual({ status: "received", reason: null });
    // Its completion leaves only the parked job: the event has failed, with that job's reason.
    expect(await completeDelivery(handle.db, "support-context/app.support.requested", event.id, null)).toBeUndefined();
    expect(await statusOf()).toEqual({ status: "failed", reason: "ai_timeout" });
    // Re-driven, the job fails again for another reason: the event says so.
    await fail("ai-triage", `evt-${event.id}`, "rate_limited");
    expect(await settleEvent(handle.db, event.id)).toBeUndefined();
    expect(await statusOf()).toEqual({ status: "failed", reason: "rate_limited" });
    // The next retry completes: processed, and left out of the latency metric (it waited on an operator).
    const settled = await completeDelivery(handle.db, "ai-triage/app.support.requested", event.id, null, {
      queue: "ai-triage",
      id: `evt-${event.id}`,
    });
    expect(settled).toBeUndefined();
    expect(await statusOf()).toEqual({ status: "processed", reason: null });
  });

  it("settles every event exactly once when its consumers complete at the same moment", async () => {
    const consumers = ["support-context/app.support.requested", "ai-triage/app.support.requested"];
    const settledCalls = await Promise.all(
      Array.from({ length: 30 }, async (_, i) => {
        const { event } = await supportEvent(`race-${driver}-${i}`);
        for (const consumer of consumers) await startDelivery(handle.db, consumer, event.id);
        const results = await Promise.all(consumers.map((c) => completeDelivery(handle.db, c, event.id, null)));
        return results.filter((r) => r !== undefined).length;
      }),
    );
    expect(settledCalls).toEqual(Array.from({ length: 30 }, () => 1));
    const open = await handle.db.execute(
      sql`select count(*)::int as n from events where source_event_id like 'race-%' and status <> 'processed'`,
    );
    expect(rowsOf<{ n: number }>(open)[0]?.n).toBe(0);
  });
});
