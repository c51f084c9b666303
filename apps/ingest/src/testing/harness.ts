import { type Config, createLogger, parseConfig } from "@switchyard/config";
import { createDb, type DbHandle, eq, runMigrations, schema, sql } from "@switchyard/db";
import { jobIdFor, WORK_QUEUES, type WorkQueue } from "@switchyard/events";
import { createDispatcher, createRedis, QueueRegistry } from "@switchyard/queue";
import type { SourceRegistry } from "@switchyard/sources";
import { createTestDatabase, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from "@switchyard/testkit";
import { newApp } from "../app.ts";
import type { RefusalCounter } from "../refusal-counter.ts";
import { readinessCheck } from "../server.ts";

export type Driver = "postgres" | "pglite";
export const DRIVERS: Driver[] = ["postgres", "pglite"];

export const SECRETS = {
  stripe: "whsec_stripe_current_0123456789",
  stripeOld: "whsec_stripe_previous_987654321",
  stripeConnect: "whsec_stripe_connect_0123456789",
  hubspot: "hubspot-client-secret-1234",
  zendesk: "zendesk-signing-secret-1234",
  generic: "whsec_dGVzdC1nZW5lcmljLXNlY3JldC0xMjM0NTY3ODkw",
  appKey: "sy_live_app_key_0123456789",
};

export interface Harness {
  app: ReturnType<typeof newApp>;
  config: Config;
  dbHandle: DbHandle;
  registry: QueueRegistry;
  logs: string[];
  /** Rows in `events` (all, or for one source event id). */
  eventRows(sourceEventId?: string): Promise<(typeof schema.events.$inferSelect)[]>;
  /** Jobs of every state in one queue, or a map of all work queues. */
  jobCount(queue: WorkQueue): Promise<number>;
  totalJobs(): Promise<number>;
  jobExists(queue: WorkQueue, eventId: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  driver: Driver;
  label: string;
  redisUrl?: string;
  env?: Record<string, string>;
  now?: () => number;
  /** The webhook sources to serve (and whose variables to read); the built-in ones when absent. */
  sources?: SourceRegistry;
  /** Where refused deliveries are counted; newApp() builds one on this database when absent. */
  refusals?: (db: DbHandle["db"]) => RefusalCounter;
}

/** The real ingest app on real Redis and a real database of its own (Postgres or PGlite). */
export async function createHarness(opts: HarnessOptions): Promise<Harness> {
  const prefix = uniquePrefix(opts.label);
  const redisUrl = opts.redisUrl ?? TEST_REDIS_URL;
  const testDb = opts.driver === "postgres" ? await createTestDatabase(opts.label) : undefined;
  const config = parseConfig(
    {
      NODE_ENV: "test",
      // Outside development HubSpot verifies nothing without it; the tests call this host.
      INGEST_PUBLIC_URL: "http://ingest.test",
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      ...(testDb ? { DATABASE_URL: testDb.url } : {}),
      STRIPE_WEBHOOK_SECRET: `${SECRETS.stripe},${SECRETS.stripeOld}`,
      STRIPE_CONNECT_WEBHOOK_SECRET: SECRETS.stripeConnect,
      HUBSPOT_CLIENT_SECRET: SECRETS.hubspot,
      ZENDESK_WEBHOOK_SECRET: SECRETS.zendesk,
      WEBHOOK_SECRET_ACME: SECRETS.generic,
      APP_API_KEYS: SECRETS.appKey,
      ...opts.env,
    },
    opts.sources,
  );
  const dbHandle = await createDb({ databaseUrl: config.DATABASE_URL, dataDir: "memory://" });
  await runMigrations(dbHandle);
  const redis = createRedis(redisUrl, "producer");
  redis.on("error", () => {});
  const registry = new QueueRegistry({ connection: redis, prefix });
  const logs: string[] = [];
  const logger = createLogger({ name: "ingest-test", level: "debug", write: (l) => logs.push(l) });
  const dispatcher = createDispatcher({ db: dbHandle.db, registry, timeoutMs: 1_000 });
  const app = newApp({
    config,
    db: dbHandle.db,
    dispatcher,
    logger,
    checkReady: readinessCheck(registry, dbHandle),
    ...(opts.now ? { now: opts.now } : {}),
    ...(opts.sources ? { sources: opts.sources } : {}),
    ...(opts.refusals ? { refusals: opts.refusals(dbHandle.db) } : {}),
  });
  const { events } = schema;
  const jobCount = async (queue: WorkQueue) => {
    const counts = await registry.get(queue).getJobCounts();
    return Object.values(counts).reduce((a, b) => a + b, 0);
  };
  return {
    app,
    config,
    dbHandle,
    registry,
    logs,
    eventRows: (id) =>
      id
        ? dbHandle.db.select().from(events).where(eq(events.sourceEventId, id))
        : dbHandle.db.select().from(events).orderBy(sql`${events.receivedAt}`),
    jobCount,
    totalJobs: async () => (await Promise.all(WORK_QUEUES.map(jobCount))).reduce((a, b) => a + b, 0),
    jobExists: async (queue, eventId) => Boolean(await registry.get(queue).getJob(jobIdFor(eventId))),
    async close() {
      await registry.close();
      redis.disconnect();
      await dbHandle.close();
      await testDb?.drop();
      await deleteKeysWithPrefix(prefix, redisUrl).catch(() => {});
    },
  };
}

export function post(h: Harness, path: string, signed: { body: string; headers: Record<string, string> }) {
  return h.app.request(`http://ingest.test${path}`, { method: "POST", body: signed.body, headers: signed.headers });
}
