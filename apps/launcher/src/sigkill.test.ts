import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createLogger, parseConfig } from "@switchyard/config";
import { createDb, type DbHandle, runMigrations } from "@switchyard/db";
import { jobIdFor } from "@switchyard/events";
import { newApp } from "@switchyard/ingest";
import { createDispatcher, createRedis, QueueRegistry } from "@switchyard/queue";
import {
  appEventRequest,
  createTestDatabase,
  deleteKeysWithPrefix,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
} from "@switchyard/testkit";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Proc, run } from "./testing/processes.ts";

const CRM_WORKER = fileURLToPath(new URL("../../crm-sync/src/main.ts", import.meta.url));
const API_KEY = "sy_sigkill_test_key_0123";

describe("worker processes stopped mid-job", () => {
  let testDb: TestDatabase;
  let handle: DbHandle;
  let registry: QueueRegistry;
  let sql: postgres.Sql;
  const prefix = uniquePrefix("sigkill");
  const redis = createRedis(TEST_REDIS_URL, "producer");
  const workers: Proc[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase("sigkill");
    handle = await createDb({ databaseUrl: testDb.url });
    await runMigrations(handle);
    registry = new QueueRegistry({ connection: redis, prefix });
    sql = postgres(testDb.url, { max: 3, onnotice: () => {} });
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill("SIGKILL");
    await sql.end();
    await registry.close();
    redis.disconnect();
    await handle.close();
    await testDb.drop();
    await deleteKeysWithPrefix(prefix);
  });

  function startWorker(): Proc {
    // LOG_JOBS: the line saying which process completed the job.
    const worker = run(CRM_WORKER, {
      DATABASE_URL: testDb.url,
      QUEUE_PREFIX: prefix,
      WORKER_LOCK_MS: "1500",
      LOG_JOBS: "true",
    });
    workers.push(worker);
    return worker;
  }

  async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
    const start = Date.now();
    while (!(await check())) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const jobState = async (eventId: string) => (await registry.get("crm-sync").getJob(jobIdFor(eventId)))?.getState();

  /**
   * Posts a signup whose customer row the test holds locked, starts a worker, and returns once the
   * job is inside its first attempt, frozen on that lock.
   */
  async function jobFrozenMidway(userId: string) {
    await sql`insert into customers (external_id, email) values (${userId}, ${`${userId}@example.com`})`;
    const holder = await sql.reserve();
    await holder`begin`;
    await holder`select id from customers where external_id = ${userId} for update`;
    const app = newApp({
      config: parseConfig({ APP_API_KEYS: API_KEY, QUEUE_PREFIX: prefix }),
      db: handle.db,
      dispatcher: createDispatcher({ db: handle.db, registry }),
      logger: createLogger({ name: "t", level: "silent" }),
      checkReady: async () => {},
    });
    const req = appEventRequest({
      payload: { type: "user.signed_up", data: { userId, email: `${userId}@example.com` } },
      apiKey: API_KEY,
    });
    const res = await app.request("/v1/events", { method: "POST", body: req.body, headers: req.headers });
    const { eventId } = (await res.json()) as { eventId: string };
    const worker = startWorker();
    await until(async () => {
      const [row] = await sql`select attempts from deliveries where event_id = ${eventId}`;
      return row?.attempts === 1;
    }, "the first attempt to start");
    expect(await jobState(eventId)).toBe("active");
    const release = async () => {
      await holder`commit`;
      holder.release();
    };
    return { eventId, worker, release };
  }

  it("SIGTERM lets the job in flight finish before the process exits", async () => {
    const { eventId, worker, release } = await jobFrozenMidway("u-term");
    worker.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    expect(worker.child.exitCode).toBeNull();
    await release();
    const [code] = await once(worker.child, "exit");
    expect(code).toBe(0);
    expect(await jobState(eventId)).toBe("completed");
    const [delivery] = await sql`select status, attempts from deliveries where event_id = ${eventId}`;
    expect(delivery).toMatchObject({ status: "completed", attempts: 1 });
  });

  it("SIGKILL gives the job back, and its effect happens exactly once", async () => {
    const { eventId, worker: first, release } = await jobFrozenMidway("u-kill");
    first.child.kill("SIGKILL");
    await once(first.child, "exit");
    await release();

    const second = startWorker();
    await until(async () => (await jobState(eventId)) === "completed", "the job to complete after the restart");

    const contacts =
      await sql`select c.writes from crm_contacts c join customers u on u.id = c.customer_id where u.external_id = 'u-kill'`;
    expect(contacts).toHaveLength(1);
    expect(contacts[0]?.writes).toBe(1);
    const timeline = await sql`select kind from customer_timeline where event_id = ${eventId} order by id`;
    expect(timeline.map((r) => r.kind)).toEqual(["event", "crm_sync"]);
    const [delivery] = await sql`select status, attempts from deliveries where event_id = ${eventId}`;
    expect(delivery).toMatchObject({ status: "completed", attempts: 2 });
    const [event] = await sql`select status from events where id = ${eventId}`;
    expect(event?.status).toBe("processed");
    expect(second.output()).toContain("job completed");

    second.child.kill("SIGTERM");
    const [code] = await once(second.child, "exit");
    expect(code).toBe(0);
  });
});
