import { createLogger } from "@switchyard/config";
import {
  advanceRelayCursor,
  claimRelayPass,
  completeDelivery,
  createDb,
  recordEvent,
  recordEvents,
  recordFailure,
  releaseRelayPass,
  rowsOf,
  sql,
  startDelivery,
} from "@switchyard/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDispatcher } from "./dispatch.ts";
import { createRelay } from "./relay.ts";
import { type QueueFixture, queueFixture } from "./testing/fixture.ts";

describe("dispatcher and relay", () => {
  let fx: QueueFixture;
  const logger = createLogger({ name: "relay-test", level: "silent" });

  beforeAll(async () => {
    fx = await queueFixture("relay");
  });
  afterAll(() => fx.close());

  const event = (id: string, queues: string[]) => ({
    source: "app",
    sourceEventId: id,
    type: "app.support.requested",
    payloadHash: "h",
    payload: { id },
    status: "received" as const,
    queues,
    receivedAt: new Date(Date.now() - 60_000),
  });
  const record = (id: string, queues: string[]) => recordEvent(fx.handle.db, event(id, queues));
  const dispatcher = () => createDispatcher({ db: fx.handle.db, registry: fx.registry });
  const relay = (batchSize = 7) =>
    createRelay({ db: fx.handle.db, dispatcher: dispatcher(), logger, intervalMs: 60_000, graceMs: 0, batchSize });

  it("dispatching the same event twice leaves one job per routed queue", async () => {
    const { event } = await record("twice", ["support-context", "ai-triage"]);
    await dispatcher().dispatch(event);
    await dispatcher().dispatch(event);
    expect(await fx.registry.get("support-context").count()).toBe(1);
    expect(await fx.registry.get("ai-triage").count()).toBe(1);
    const job = await fx.registry.get("ai-triage").getJob(`evt-${event.id}`);
    expect(job?.data).toMatchObject({ eventId: event.id, source: "app", payload: { id: "twice" } });
  });

  it("adds only the jobs missing from Redis, and checks each row once", async () => {
    await relay().runOnce(); // the cursor passes the rows of the test above
    const rows = (
      await recordEvents(
        fx.handle.db,
        Array.from({ length: 60 }, (_, i) => event(`b-${i}`, ["crm-sync"])),
      )
    ).map((r) => r.event);
    await dispatcher().enqueueMany(rows.slice(0, 20));
    expect(await relay().runOnce()).toBe(40);
    expect(await fx.registry.get("crm-sync").count()).toBe(60);
    // Checked: a job lost from Redis now is not the relay's to notice again (Redis persistence is).
    await fx.registry.get("crm-sync").remove(`evt-${rows[0]?.id}`);
    expect(await relay().runOnce()).toBe(0);
  });

  it("lets one relay at a time walk the backlog", async () => {
    await Promise.all(Array.from({ length: 30 }, (_, i) => record(`pair-${i}`, ["support-context"])));
    const [a, b] = await Promise.all([relay(5).runOnce(), relay(5).runOnce()]);
    expect(a + b).toBe(30);
    expect(Math.min(a, b)).toBe(0);
    expect(await fx.registry.get("support-context").count()).toBe(31);
  });

  it("does not pass a row whose transaction is still open, however old its timestamp", async () => {
    let commit = () => {};
    const held = new Promise<void>((resolve) => {
      commit = resolve;
    });
    let inserted = () => {};
    const ready = new Promise<void>((resolve) => {
      inserted = resolve;
    });
    const open = fx.handle.db.transaction(async (tx) => {
      await recordEvents(tx as never, [event("slow-commit", ["ai-triage"])]);
      inserted();
      await held;
    });
    await ready;
    await new Promise((r) => setTimeout(r, 50));
    await record("later", ["ai-triage"]);
    // The open transaction's start is the horizon: the later row waits too.
    expect(await relay().runOnce()).toBe(0);
    commit();
    await open;
    expect(await relay().runOnce()).toBe(2);
    expect(await fx.registry.get("ai-triage").count()).toBe(3);
  });

  it("fences a pass that outlived its lease: it can neither move the cursor nor free the new pass", async () => {
    const stale = await claimRelayPass(fx.handle.db, "fence-test", { graceMs: 0, leaseMs: 1 });
    if (!stale) throw new Error("no pass");
    await new Promise((r) => setTimeout(r, 20));
    const current = await claimRelayPass(fx.handle.db, "fence-test", { graceMs: 0, leaseMs: 60_000 });
    expect(current).toBeDefined();
    const to = { at: current?.horizon ?? "0", id: "ffffffff-ffff-ffff-ffff-ffffffffffff" };
    expect(await advanceRelayCursor(fx.handle.db, "fence-test", { lease: stale.lease, leaseMs: 60_000, to })).toBe(
      undefined,
    );
    await releaseRelayPass(fx.handle.db, "fence-test", { lease: stale.lease, reached: stale.horizon });
    expect(await claimRelayPass(fx.handle.db, "fence-test", { graceMs: 0, leaseMs: 60_000 })).toBeUndefined();
  });

  it("rechecks old rows round and round, re-adding jobs Redis lost, never a finished or parked one", async () => {
    const rechecking = () =>
      createRelay({
        db: fx.handle.db,
        dispatcher: dispatcher(),
        logger,
        intervalMs: 60_000,
        graceMs: 0,
        batchSize: 7,
        recheckAfterMs: 0,
      });
    const crm = fx.registry.get("crm-sync");
    const { event: lost } = await record("lost-later", ["crm-sync"]);
    const { event: parked } = await record("parked-later", ["crm-sync"]);
    const { event: done } = await record("done-later", ["crm-sync"]);
    await dispatcher().enqueueMany([lost, parked, done]);
    await relay().runOnce(); // the first check: every job is in Redis, and the cursor passes them
    // Redis then loses all three jobs (a crash within its fsync window, say). One of them had
    // failed for good and waits for an operator; another had already done its work.
    for (const e of [lost, parked, done]) await crm.remove(`evt-${e.id}`);
    await recordFailure(fx.handle.db, {
      eventId: parked.id,
      queue: "crm-sync",
      jobName: parked.type,
      jobId: `evt-${parked.id}`,
      reason: "crm_timeout",
      attempts: 3,
      lastError: "crm_timeout: no answer",
      payload: {},
    });
    await startDelivery(fx.handle.db, `crm-sync/${done.type}`, done.id);
    await completeDelivery(fx.handle.db, `crm-sync/${done.type}`, done.id, null);
    expect(await relay().runOnce()).toBe(0); // the first cursor never looks back
    await rechecking().runOnce();
    expect(await crm.getJob(`evt-${lost.id}`)).toBeDefined();
    expect(await crm.getJob(`evt-${parked.id}`)).toBeUndefined();
    expect(await crm.getJob(`evt-${done.id}`)).toBeUndefined();
    // Having reached the end, the recheck starts over: lost again, found again.
    await crm.remove(`evt-${lost.id}`);
    await rechecking().runOnce();
    expect(await crm.getJob(`evt-${lost.id}`)).toBeDefined();
  });

  it("the recheck settles an event left received with nothing pending (its settle lost with its process)", async () => {
    const { event: lost } = await record("settle-lost", ["support-context", "ai-triage"]);
    const { event: half } = await record("settle-half", ["support-context", "ai-triage"]);
    await dispatcher().enqueueMany([lost, half]);
    for (const e of [lost, half]) {
      for (const queue of e === lost ? ["support-context", "ai-triage"] : ["support-context"]) {
        await startDelivery(fx.handle.db, `${queue}/${e.type}`, e.id);
        // The completion commits; the worker dies before the settle that follows it goes out.
        await fx.handle.db.execute(sql`update deliveries set status = 'completed', completed_at = now()
          where consumer = ${`${queue}/${e.type}`} and event_id = ${e.id}`);
      }
    }
    const statusOf = async (id: string) =>
      rowsOf<{ status: string }>(await fx.handle.db.execute(sql`select status from events where id = ${id}`))[0]
        ?.status;
    await createRelay({
      db: fx.handle.db,
      dispatcher: dispatcher(),
      logger,
      intervalMs: 60_000,
      graceMs: 0,
      recheckAfterMs: 0,
    }).runOnce();
    expect(await statusOf(lost.id)).toBe("processed");
    expect(await statusOf(half.id)).toBe("received");
  });

  it("does not move while a session it cannot see is connected", async () => {
    // Postgres hides other roles' sessions (this test's own superuser ones included) from a role
    // without pg_read_all_stats.
    const relayRole = `relay_${process.pid}`;
    const otherRole = `other_${process.pid}`;
    const admin = (text: string) => fx.handle.db.execute(sql.raw(text));
    const url = (role: string) => fx.databaseUrl.replace("postgres@", `${role}@`);
    await admin(`create role ${relayRole} login`);
    await admin(`create role ${otherRole} login`);
    await admin(`grant all on all tables in schema public to ${relayRole}`);
    const other = await createDb({ databaseUrl: url(otherRole), maxConnections: 1 });
    const limited = await createDb({ databaseUrl: url(relayRole), maxConnections: 2 });
    try {
      await other.ping();
      const { event } = await record("unseen", ["ai-triage"]);
      await fx.registry.get("ai-triage").remove(`evt-${event.id}`);
      const blind = createRelay({ db: limited.db, dispatcher: dispatcher(), logger, intervalMs: 60_000, graceMs: 0 });
      await expect(blind.runOnce()).rejects.toThrow(/cannot see every open transaction/);
      // The blind pass left the cursor where it was: a relay that sees everything still finds the row.
      expect(await relay().runOnce()).toBe(1);
    } finally {
      await other.close().catch(() => {});
      await limited.close();
      await admin(`drop owned by ${relayRole}`);
      await admin(`drop role ${relayRole}`);
      await admin(`drop role ${otherRole}`);
    }
  });
});
