import { once } from "node:events";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { jobIdFor } from "@switchyard/events";
import { missingFamilies, parseExposition, sumOf } from "@switchyard/metrics";
import { createRedis, QueueRegistry } from "@switchyard/queue";
import {
  appEventRequest,
  createTestDatabase,
  deleteKeysWithPrefix,
  freePort,
  TEST_REDIS_URL,
  uniquePrefix,
} from "@switchyard/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "./testing/processes.ts";

const entry = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const API_KEY = "sy_test_launcher_key_123";

async function waitForJobState(registry: QueueRegistry, queue: "crm-sync", eventId: string, state: string) {
  for (let i = 0; i < 200; i++) {
    const job = await registry.get(queue).getJob(jobIdFor(eventId));
    if (job && (await job.getState()) === state) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job for ${eventId} never reached ${state}`);
}

async function postSignup(port: number, userId: string) {
  const req = appEventRequest({
    payload: { type: "user.signed_up", data: { userId, email: `${userId}@example.com` } },
    apiKey: API_KEY,
  });
  const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
    method: "POST",
    body: req.body,
    headers: req.headers,
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { eventId: string }).eventId;
}

describe("processes", () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  function queuesFor(prefix: string) {
    const redis = createRedis(TEST_REDIS_URL, "producer");
    const registry = new QueueRegistry({ connection: redis, prefix });
    cleanups.push(async () => {
      await registry.close();
      redis.disconnect();
      await deleteKeysWithPrefix(prefix);
    });
    return registry;
  }

  it("`pnpm start` runs migrations, ingest and the workers in one process on embedded PGlite", async () => {
    const prefix = uniquePrefix("start");
    const dataDir = `/tmp/sy-start-${process.pid}-${Date.now()}`;
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const proc = run(entry("./main.ts"), {
      QUEUE_PREFIX: prefix,
      DATA_DIR: dataDir,
      INGEST_PORT: String(port),
      ADMIN_PORT: String(await freePort()),
      APP_API_KEYS: API_KEY,
      // The event id is looked for in the job's log line, written only when asked for.
      LOG_JOBS: "true",
    });
    cleanups.push(() => proc.stop());
    // A cold start: every app's sources stripped of their types and PGlite's database created,
    // which on a busy 2-core machine has taken over 20 s.
    await proc.waitFor("switchyard running", 60_000);
    expect(proc.output()).toContain('"kind":"pglite"');
    // No admin credentials in development: a sign-in and a token made up for this run are printed,
    // never a credential-less admin.
    expect(proc.output()).toMatch(/Console: open http:\/\/127\.0\.0\.1:\d+\/console /);
    expect(proc.output()).toMatch(/sign in as admin with password \S{16} {3}\(made up for this run\)/);
    expect(proc.output()).toMatch(/Authorization: Bearer dev_\S{20,}/);
    const eventId = await postSignup(port, "u-start");
    await waitForJobState(queuesFor(prefix), "crm-sync", eventId, "completed");
    await proc.waitFor(eventId);
    expect(await proc.stop()).toBe(0);
    expect(proc.output()).not.toContain(API_KEY);
    // Embedded PGlite (WebAssembly) applies every migration at start: slower than Postgres.
  }, 90_000);

  it("exits with one clear line when Redis is unreachable", async () => {
    const proc = run(entry("./main.ts"), {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      DATA_DIR: "/tmp/sy-unused",
    });
    const [code] = await once(proc.child, "exit");
    expect(code).toBe(1);
    const lines = proc.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Redis is not reachable at redis:\/\/127\.0\.0\.1:\d+.*redis-server.*REDIS_URL/);
  });

  it("stops with a message naming the variable when the configuration is invalid", async () => {
    const proc = run(entry("./main.ts"), { INGEST_PORT: "not-a-port" });
    const [code] = await once(proc.child, "exit");
    expect(code).toBe(78);
    expect(proc.output()).toMatch(/invalid configuration:\n\s+INGEST_PORT/);
  });

  it("runs ingest and a worker as separate processes on Postgres after a one-shot migrate", async () => {
    const testDb = await createTestDatabase("procs");
    cleanups.push(() => testDb.drop());
    const prefix = uniquePrefix("procs");
    const port = await freePort();
    const env = {
      DATABASE_URL: testDb.url,
      QUEUE_PREFIX: prefix,
      INGEST_PORT: String(port),
      APP_API_KEYS: API_KEY,
      LOG_JOBS: "true",
    };
    const migrate = run(entry("./migrate.ts"), env);
    const [code] = await once(migrate.child, "exit");
    expect(code, migrate.output()).toBe(0);
    const ingest = run(entry("../../ingest/src/main.ts"), env);
    const worker = run(entry("../../crm-sync/src/main.ts"), env);
    cleanups.push(
      () => ingest.stop(),
      () => worker.stop(),
    );
    await Promise.all([ingest.waitFor("ingest listening"), worker.waitFor("worker started")]);
    const eventId = await postSignup(port, "u-procs");
    await waitForJobState(queuesFor(prefix), "crm-sync", eventId, "completed");
    await worker.waitFor(eventId);
    expect(ingest.output()).not.toContain('"level":"error"');
    expect(await worker.stop()).toBe(0);
    expect(await ingest.stop()).toBe(0);
  });

  it("admin's /metrics adds up ingest, a worker and admin, each in its own process", async () => {
    const testDb = await createTestDatabase("procs-metrics");
    cleanups.push(() => testDb.drop());
    const prefix = uniquePrefix("procs-metrics");
    const port = await freePort();
    const adminPort = await freePort();
    const token = "sy_admin_procs_metrics_0123456789abcdef";
    const env = {
      DATABASE_URL: testDb.url,
      QUEUE_PREFIX: prefix,
      INGEST_PORT: String(port),
      ADMIN_PORT: String(adminPort),
      ADMIN_TOKEN: token,
      APP_API_KEYS: API_KEY,
      METRICS_PUBLISH_MS: "1000",
    };
    const migrate = run(entry("./migrate.ts"), env);
    const [code] = await once(migrate.child, "exit");
    expect(code, migrate.output()).toBe(0);
    const ingest = run(entry("../../ingest/src/main.ts"), env);
    const worker = run(entry("../../crm-sync/src/main.ts"), env);
    const admin = run(entry("../../admin/src/main.ts"), env);
    cleanups.push(
      () => ingest.stop(),
      () => worker.stop(),
      () => admin.stop(),
    );
    await Promise.all([
      ingest.waitFor("ingest listening"),
      worker.waitFor("worker started"),
      admin.waitFor("admin listening"),
    ]);
    const eventId = await postSignup(port, "u-metrics");
    const forged = await fetch(`http://127.0.0.1:${port}/v1/events`, {
      method: "POST",
      body: "{}",
      headers: { authorization: "Bearer not-a-key", "idempotency-key": "k1" },
    });
    expect(forged.status).toBe(401);
    await waitForJobState(queuesFor(prefix), "crm-sync", eventId, "completed");

    const scrape = async () => {
      const res = await fetch(`http://127.0.0.1:${adminPort}/metrics`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(res.status).toBe(200);
      return parseExposition(await res.text());
    };
    // Each process publishes every second, on its own clock: poll until both ingest's and the
    // worker's snapshots after the traffic have arrived.
    const arrived = (e: Awaited<ReturnType<typeof scrape>>) =>
      sumOf(e, "switchyard_job_duration_seconds_count") >= 1 &&
      sumOf(e, "switchyard_webhooks_received_total", { source: "app" }) >= 2;
    let scraped = await scrape();
    for (let i = 0; i < 100 && !arrived(scraped); i++) {
      await new Promise((r) => setTimeout(r, 100));
      scraped = await scrape();
    }
    expect(sumOf(scraped, "switchyard_metrics_processes")).toBe(3);
    expect(sumOf(scraped, "switchyard_webhooks_received_total", { source: "app" })).toBe(2);
    expect(sumOf(scraped, "switchyard_webhooks_rejected_total", { source: "app", reason: "auth_failed" })).toBe(1);
    expect(sumOf(scraped, "switchyard_job_duration_seconds_count", { queue: "crm-sync", outcome: "completed" })).toBe(
      1,
    );
    expect(sumOf(scraped, "switchyard_event_latency_seconds_count", { source: "app" })).toBe(1);
    expect(sumOf(scraped, "switchyard_queue_jobs", { queue: "crm-sync", state: "completed" })).toBe(1);
    expect(missingFamilies(scraped.types)).toEqual([]);

    // A worker that stops publishes once more: its counts stay until the snapshot expires.
    expect(await worker.stop()).toBe(0);
    expect(sumOf(await scrape(), "switchyard_job_duration_seconds_count", { queue: "crm-sync" })).toBe(1);
    expect(await ingest.stop()).toBe(0);
    expect(await admin.stop()).toBe(0);
  });
});
