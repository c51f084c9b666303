import { adminCredentials, startAdmin } from "@switchyard/admin";
import { type Config, createLogger, parseConfig, secretValues } from "@switchyard/config";
import { createDb, type DbHandle, eq, runMigrations, schema, sql } from "@switchyard/db";
import { WORK_QUEUES } from "@switchyard/events";
import { ingestOpenApi, newApp } from "@switchyard/ingest";
import { createMetrics, type Metrics, startMetricsPublisher } from "@switchyard/metrics";
import {
  createDispatcher,
  createRedis,
  QueueRegistry,
  type RunningWorkers,
  startWorkers,
  type WorkerDefinition,
} from "@switchyard/queue";
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  type Signed,
  TEST_REDIS_URL,
  uniquePrefix,
} from "@switchyard/testkit";
import { WORKERS } from "../workers.ts";

export const KEYS = {
  stripe: "whsec_system_test_0123456789abcdef",
  zendesk: "zendesk-system-test-secret",
  app: "sy_system_test_key_0123456789",
};

export type Driver = "postgres" | "pglite";

export interface System {
  config: Config;
  dbHandle: DbHandle;
  registry: QueueRegistry;
  /** This system's instruments (each system has its own, as each process does). */
  metrics: Metrics;
  /** Base URL of the admin app, when started with `admin: true`. */
  adminUrl: string;
  /** Runs admin's KPI checker once, as its timer does (`admin: true` only). */
  checkKpis(): ReturnType<Awaited<ReturnType<typeof startAdmin>>["kpis"]["check"]>;
  post(path: string, signed: Signed): Promise<Response>;
  /** A GET to ingest, e.g. the app's read-only API with its bearer key. */
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** Waits until every routed event is processed and no queue holds a job that is not finished. */
  waitForIdle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface SystemOptions {
  label: string;
  driver?: Driver;
  env?: Record<string, string>;
  admin?: boolean;
  /** When given, every log line (level debug, secrets redacted as in production) is pushed here. */
  logs?: string[];
  /** The workers this process runs; every one when absent (a test may leave one to a process of its own). */
  workers?: readonly WorkerDefinition[];
}

/** Ingest plus all four workers (and admin, on request) in this process, on real Redis and a database of their own. */
export async function startSystem(opts: SystemOptions): Promise<System> {
  const prefix = uniquePrefix(opts.label);
  const testDb = opts.driver === "pglite" ? undefined : await createTestDatabase(opts.label);
  const config = parseConfig({
    NODE_ENV: "test",
    QUEUE_PREFIX: prefix,
    ...(testDb ? { DATABASE_URL: testDb.url } : {}),
    STRIPE_WEBHOOK_SECRET: KEYS.stripe,
    ZENDESK_WEBHOOK_SECRET: KEYS.zendesk,
    APP_API_KEYS: KEYS.app,
    WORKER_CONCURRENCY: "4",
    ADMIN_PORT: "0",
    // Admin's Stripe reconcile would list the fake's events (and meet its faults) in every test with a
    // key; reconcile.e2e.test.ts and reconcile-scheduler.test.ts run it on purpose.
    RECONCILE_INTERVAL_MS: "0",
    ...opts.env,
  });
  const dbHandle = await createDb({ databaseUrl: config.DATABASE_URL, dataDir: "memory://" });
  await runMigrations(dbHandle);
  const { logs } = opts;
  const logger = logs
    ? createLogger({
        name: "system-test",
        level: "debug",
        secrets: secretValues(config),
        write: (line) => logs.push(line),
      })
    : createLogger({ name: "system-test", level: "error" });
  const metrics = createMetrics();
  const workers: RunningWorkers = await startWorkers(opts.workers ?? WORKERS, {
    config,
    logger,
    dbHandle,
    metrics,
  });
  const publisher = startMetricsPublisher({
    metrics,
    redisUrl: TEST_REDIS_URL,
    prefix,
    intervalMs: config.METRICS_PUBLISH_MS,
  });
  const redis = createRedis(TEST_REDIS_URL, "producer");
  const registry = QueueRegistry.fromConfig(config, redis);
  let admin: Awaited<ReturnType<typeof startAdmin>> | undefined;
  if (opts.admin) {
    const creds = adminCredentials(config);
    if (!creds.ok) throw new Error(creds.message);
    admin = await startAdmin({
      config,
      dbHandle,
      logger,
      credentials: creds.credentials,
      metrics,
      publicApi: ingestOpenApi(),
    });
  }
  const app = newApp({
    config,
    db: dbHandle.db,
    dispatcher: createDispatcher({ db: dbHandle.db, registry }),
    logger,
    checkReady: async () => {},
    metrics,
  });

  async function pending(): Promise<number> {
    const { events } = schema;
    const [row] = await dbHandle.db
      .select({ n: sql<number>`count(*)::int` })
      .from(events)
      .where(sql`${events.status} in ('received', 'enqueued')`);
    let jobs = 0;
    for (const q of WORK_QUEUES) {
      const counts = await registry
        .get(q)
        .getJobCounts("waiting", "active", "delayed", "prioritized", "waiting-children");
      jobs += Object.values(counts).reduce((a, b) => a + b, 0);
    }
    return (row?.n ?? 0) + jobs;
  }

  return {
    config,
    dbHandle,
    registry,
    metrics,
    adminUrl: admin ? `http://127.0.0.1:${admin.port}` : "",
    checkKpis: () => {
      if (!admin) throw new Error("checkKpis needs startSystem({ admin: true })");
      return admin.kpis.check();
    },
    post: async (path, signed) =>
      app.request(`http://ingest.test${path}`, { method: "POST", body: signed.body, headers: signed.headers }),
    get: async (path, headers = {}) => app.request(`http://ingest.test${path}`, { headers }),
    async waitForIdle(timeoutMs = 20_000) {
      const start = Date.now();
      // Two quiet reads in a row: a job can emit follow-up work just as the first read happens.
      let quiet = 0;
      while (quiet < 2) {
        quiet = (await pending()) === 0 ? quiet + 1 : 0;
        if (Date.now() - start > timeoutMs) {
          throw new Error(
            `system not idle after ${timeoutMs} ms; failed jobs: ${JSON.stringify(await failedJobs(registry))}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async close() {
      await admin?.close();
      await workers.close();
      await publisher.close();
      await registry.close();
      redis.disconnect();
      await dbHandle.close();
      await testDb?.drop();
      await deleteKeysWithPrefix(prefix);
    },
  };
}

export async function failedJobs(target: System | QueueRegistry) {
  const registry = target instanceof QueueRegistry ? target : target.registry;
  const failed = await Promise.all(WORK_QUEUES.map((q) => registry.get(q).getFailed()));
  return failed.flat().map((j) => ({ queue: j.queueName, name: j.name, reason: j.failedReason }));
}

export async function customerByEmail(system: System, email: string) {
  const [row] = await system.dbHandle.db.select().from(schema.customers).where(eq(schema.customers.email, email));
  return row;
}

export async function until<T>(
  check: () => Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
