import { createLogger, parseConfig } from "@switchyard/config";
import { completeOwnedDelivery, eq, recordEvent, schema, startDelivery } from "@switchyard/db";
import { jobIdFor, PermanentError, RetryableError } from "@switchyard/events";
import { TEST_REDIS_URL } from "@switchyard/testkit";
import { type Job, QueueEvents, UnrecoverableError } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlerter } from "./alerts.ts";
import { createProcessor, defineWorker } from "./define-worker.ts";
import { ALREADY_DELIVERED, delivered } from "./delivered.ts";
import { failingNow, startFailureWatch } from "./failure-watch.ts";
import { createRedis } from "./redis.ts";
import { type QueueFixture, queueFixture } from "./testing/fixture.ts";
import type { JobContext } from "./worker-types.ts";
import { startWorkers } from "./workers.ts";

describe("defineWorker runtime", () => {
  let fx: QueueFixture;
  const logger = createLogger({ name: "runtime-test", level: "silent" });

  beforeAll(async () => {
    fx = await queueFixture("runtime");
  });
  afterAll(() => fx.close());

  const config = () => parseConfig({ DATABASE_URL: fx.databaseUrl, QUEUE_PREFIX: fx.prefix });
  let seq = 0;
  async function recorded() {
    const { event } = await recordEvent(fx.handle.db, {
      source: "app",
      sourceEventId: `rt-${seq++}`,
      type: "app.user.signed_up",
      payloadHash: "h",
      payload: { type: "user.signed_up", data: { userId: "u", email: "u@example.com" } },
      status: "received",
      queues: ["crm-sync"],
      receivedAt: new Date(),
    });
    return event;
  }
  /** A job as BullMQ hands it to the processor: first attempt of three. */
  const fakeJob = (name: string, data: unknown, id = `job-${seq++}`) =>
    ({ id, name, data, attemptsMade: 0, opts: { attempts: 3 } }) as unknown as Job;
  const envelope = (eventId: string, payload: unknown) => ({
    eventId,
    source: "app",
    sourceEventId: "x",
    type: "app.user.signed_up",
    receivedAt: new Date().toISOString(),
    payload,
  });

  function crmWith(handler: (payload: unknown, ctx: JobContext) => Promise<unknown>) {
    const none = async () => ({});
    return defineWorker("crm-sync", () => ({
      "app.user.signed_up": handler,
      "switchyard.customer.changed": none,
      "switchyard.order.changed": none,
      "hubspot.contact.creation": none,
      "hubspot.contact.propertyChange": none,
    }));
  }
  const deps = () => ({ config: config(), db: fx.handle.db, logger, registry: fx.registry });

  it("fails a payload that does not match the catalog permanently, as invalid_payload", async () => {
    const event = await recorded();
    let ran = false;
    const run = createProcessor(
      crmWith(async () => {
        ran = true;
      }),
      deps(),
    );
    const bad = run(
      fakeJob("app.user.signed_up", envelope(event.id, { type: "user.signed_up", data: { userId: "u" } })),
    );
    await expect(bad).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(bad).rejects.toThrow(/^invalid_payload: .*data\.email/);
    await expect(run(fakeJob("no.such.job", envelope(event.id, {})))).rejects.toThrow(
      /^invalid_payload: crm-sync has no job named/,
    );
    await expect(run(fakeJob("app.user.signed_up", { not: "an envelope" }))).rejects.toBeInstanceOf(UnrecoverableError);
    expect(ran).toBe(false);
  });

  it("records each attempt, completes the delivery, and never runs a completed one again", async () => {
    const event = await recorded();
    const attempts: number[] = [];
    const keys: string[] = [];
    const run = createProcessor(
      crmWith(async (_p, ctx) => {
        attempts.push(ctx.attempt);
        keys.push(ctx.idempotencyKey("contact"));
        if (attempts.length === 1) throw new RetryableError("crm_timeout", "CRM did not answer");
        return { ok: true };
      }),
      deps(),
    );
    const job = fakeJob("app.user.signed_up", envelope(event.id, event.payload));
    await expect(run(job)).rejects.toThrow(/^crm_timeout: CRM did not answer/);
    await expect(run(job)).resolves.toEqual({ ok: true });
    await expect(run(job)).resolves.toEqual({ skipped: "already delivered" });
    expect(attempts).toEqual([1, 2]);
    expect(new Set(keys)).toEqual(new Set([`${event.id}-contact`]));
    const [delivery] = await fx.handle.db
      .select()
      .from(schema.deliveries)
      .where(eq(schema.deliveries.eventId, event.id));
    expect(delivery).toMatchObject({ consumer: "crm-sync/app.user.signed_up", status: "completed", attempts: 2 });
    const [row] = await fx.handle.db.select().from(schema.events).where(eq(schema.events.id, event.id));
    expect(row?.status).toBe("processed");
  });

  it("leaves the ledger to the handler exactly for the payloads ownsLedgerWhen names", async () => {
    const seen: { email: string; attempt: number }[] = [];
    const none = async () => ({});
    const def = defineWorker(
      "crm-sync",
      ({ db }) => ({
        "app.user.signed_up": async (p, ctx) => {
          seen.push({ email: p.data.email, attempt: ctx.attempt });
          if (ctx.attempt > 0) return { by: "runtime" };
          const attempt = await startDelivery(db, ctx.delivery.consumer, ctx.eventId);
          if (attempt === undefined) return ALREADY_DELIVERED;
          return delivered(
            { by: "handler" },
            await completeOwnedDelivery(db, ctx.delivery, { by: "handler" }),
            attempt,
          );
        },
        "switchyard.customer.changed": none,
        "switchyard.order.changed": none,
        "hubspot.contact.creation": none,
        "hubspot.contact.propertyChange": none,
      }),
      {
        ownsLedgerWhen: {
          "app.user.signed_up": (p, c) => p.data.email.startsWith("own") && c.QUEUE_PREFIX === fx.prefix,
        },
      },
    );
    const run = createProcessor(def, deps());
    const owned = await recorded();
    const runtime = await recorded();
    const payload = (email: string) => ({ type: "user.signed_up", data: { userId: "u", email } });
    const ownedJob = fakeJob("app.user.signed_up", envelope(owned.id, payload("own@example.com")));
    await expect(run(ownedJob)).resolves.toEqual({ by: "handler" });
    await expect(run(ownedJob)).resolves.toEqual({ skipped: "already delivered" });
    const runtimeJob = fakeJob("app.user.signed_up", envelope(runtime.id, payload("u@example.com")));
    await expect(run(runtimeJob)).resolves.toEqual({ by: "runtime" });
    await expect(run(runtimeJob)).resolves.toEqual({ skipped: "already delivered" });
    expect(seen).toEqual([
      { email: "own@example.com", attempt: 0 },
      { email: "own@example.com", attempt: 0 },
      { email: "u@example.com", attempt: 1 },
    ]);
    for (const event of [owned, runtime]) {
      const [row] = await fx.handle.db.select().from(schema.events).where(eq(schema.events.id, event.id));
      expect(row?.status).toBe("processed");
    }
  });

  it("turns a PermanentError into an unrecoverable failure that keeps its reason", async () => {
    const event = await recorded();
    const run = createProcessor(
      crmWith(async () => {
        throw new PermanentError("auth_failed", "CRM token revoked");
      }),
      deps(),
    );
    // The job the relay or ingest routed for the event, under the id they give it.
    const failing = run(fakeJob("app.user.signed_up", envelope(event.id, event.payload), jobIdFor(event.id)));
    await expect(failing).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(failing).rejects.toThrow("auth_failed: CRM token revoked");
    // Parked, and the event says so: failed, with the reason, until a re-drive completes it.
    const [row] = await fx.handle.db.select().from(schema.events).where(eq(schema.events.id, event.id));
    expect(row).toMatchObject({ status: "failed", reason: "auth_failed" });
    const [failure] = await fx.handle.db.select().from(schema.failures).where(eq(schema.failures.eventId, event.id));
    expect(failure).toMatchObject({ queue: "crm-sync", reason: "auth_failed", status: "open" });
  });

  it("hands every failed attempt, rate limits included, and every success to the failure watch", async () => {
    const event = await recorded();
    const watch = startFailureWatch({
      redis: fx.redis,
      prefix: fx.prefix,
      alerter: createAlerter({ redis: fx.redis, prefix: fx.prefix, logger, windowMs: 60_000 }),
      config: config(),
      logger,
    });
    let calls = 0;
    const run = createProcessor(
      crmWith(async () => {
        calls++;
        if (calls === 1) throw new RetryableError("upstream_unavailable", "CRM answered 502");
        if (calls === 2) throw new RetryableError("rate_limited", "CRM rate limit (429)", { retryAfterMs: 10 });
        return { ok: true };
      }),
      { ...deps(), watch },
    );
    const job = fakeJob("app.user.signed_up", envelope(event.id, event.payload), "watched-1");
    await expect(run(job)).rejects.toThrow(/^upstream_unavailable: CRM answered 502/);
    await expect(run(job)).rejects.toThrow("bullmq:rateLimitExceeded");
    const failing = await failingNow(fx.redis, fx.prefix);
    expect(failing.map((e) => [e.reason, e.failures, e.retrying, e.queues[0]?.queue])).toEqual([
      ["rate_limited", 1, 1, "crm-sync"],
      ["upstream_unavailable", 1, 1, "crm-sync"],
    ]);
    expect(failing[1]?.error).toBe("upstream_unavailable: CRM answered 502");
    // Its own success closes both one-off episodes: nothing would be sent for them.
    await expect(run(job)).resolves.toEqual({ ok: true });
    expect(await failingNow(fx.redis, fx.prefix)).toEqual([]);
    await watch.close();
  });

  it("runs on a real queue: a job that fails permanently is not retried", async () => {
    const event = await recorded();
    let calls = 0;
    const def = crmWith(async () => {
      calls++;
      throw new PermanentError("invalid_payload", "nope");
    });
    const workers = await startWorkers([def], { config: config(), logger, dbHandle: fx.handle });
    const events = new QueueEvents("crm-sync", {
      connection: createRedis(TEST_REDIS_URL, "worker"),
      prefix: fx.prefix,
    });
    await events.waitUntilReady();
    const job = await fx.registry
      .get("crm-sync")
      .add("app.user.signed_up", envelope(event.id, event.payload), { jobId: jobIdFor(event.id) });
    await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow(/invalid_payload: nope/);
    expect(calls).toBe(1);
    expect((await fx.registry.get("crm-sync").getJob(jobIdFor(event.id)))?.attemptsMade).toBe(1);
    await events.close();
    await workers.close();
  });
});
