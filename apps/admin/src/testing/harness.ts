import { type Config, createLogger, parseConfig } from "@switchyard/config";
import { createDb, type DbHandle, type FailureRow, recordFailure, runMigrations, schema } from "@switchyard/db";
import type { ReasonCode, WorkQueue } from "@switchyard/events";
import {
  createDispatcher,
  createRedis,
  type ParkedFailure,
  QueueRegistry,
  type RunningWorkers,
  startFailureWorkers,
} from "@switchyard/queue";
import { createTestDatabase, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from "@switchyard/testkit";
import { bootstrapAccounts } from "../accounts.ts";
import { newAdminApp } from "../app.ts";
import type { LoadKpis } from "../console/kpis.ts";

export const CREDS = { user: "ops", password: "console-test-password-123", token: "sy_console_test_token_0123456789" };

const basic = `Basic ${Buffer.from(`${CREDS.user}:${CREDS.password}`).toString("base64")}`;

export interface AdminHarness {
  app: ReturnType<typeof newAdminApp>;
  config: Config;
  dbHandle: DbHandle;
  registry: QueueRegistry;
  logs: string[];
  /** GET as the logged-in operator (basic auth, as a browser sends it). */
  get(path: string): Promise<Response>;
  /** A form POST as a browser on the console's own page sends it (or with the headers given). */
  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<Response>;
  audit(): Promise<(typeof schema.auditLog.$inferSelect)[]>;
  /** Records a failure and parks it in failed.<reason>, as a worker's last failed attempt does. */
  park(input: { reason: ReasonCode; queue?: WorkQueue; jobId: string; lastError?: string }): Promise<FailureRow>;
  close(): Promise<void>;
}

export const ORIGIN = "http://admin.test";

/** The real admin app on real Redis and a Postgres database of its own, driven by app.request(). */
export async function createAdminHarness(
  label: string,
  opts: { loadKpis?: LoadKpis; failureWorkers?: boolean; env?: Record<string, string> } = {},
): Promise<AdminHarness> {
  const prefix = uniquePrefix(label);
  const testDb = await createTestDatabase(label);
  const config = parseConfig({
    NODE_ENV: "test",
    QUEUE_PREFIX: prefix,
    DATABASE_URL: testDb.url,
    ADMIN_USER: CREDS.user,
    ADMIN_PASSWORD: CREDS.password,
    ADMIN_TOKEN: CREDS.token,
    ...opts.env,
  });
  const dbHandle = await createDb({ databaseUrl: config.DATABASE_URL, dataDir: "memory://" });
  await runMigrations(dbHandle);
  await bootstrapAccounts(dbHandle.db, CREDS);
  const redis = createRedis(TEST_REDIS_URL, "producer");
  redis.on("error", () => {});
  const registry = new QueueRegistry({ connection: redis, prefix });
  const logs: string[] = [];
  const logger = createLogger({ name: "admin-test", level: "debug", write: (l) => logs.push(l) });
  // Admin's own failure-queue workers: they turn a parked job into a failed one with a Retry button.
  const failureWorkers: RunningWorkers | undefined = opts.failureWorkers
    ? await startFailureWorkers({ config, db: dbHandle.db, registry, logger })
    : undefined;
  const app = newAdminApp({
    config,
    db: dbHandle.db,
    registry,
    dispatcher: createDispatcher({ db: dbHandle.db, registry, timeoutMs: 1_000 }),
    logger,
    redis,
    credentials: CREDS,
    loadKpis: opts.loadKpis,
  });
  return {
    app,
    config,
    dbHandle,
    registry,
    logs,
    get: async (path) => app.request(`${ORIGIN}${path}`, { headers: { authorization: basic } }),
    post: async (path, form, headers = { origin: ORIGIN, "sec-fetch-site": "same-origin" }) =>
      app.request(`${ORIGIN}${path}`, {
        method: "POST",
        body: new URLSearchParams(form).toString(),
        headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded", ...headers },
      }),
    audit: () => dbHandle.db.select().from(schema.auditLog),
    async park({ reason, queue = "crm-sync", jobId, lastError = `${reason}: it failed` }) {
      const payload = { eventId: "00000000-0000-4000-8000-000000000000", note: jobId };
      const row = await recordFailure(dbHandle.db, {
        eventId: null,
        queue,
        jobName: "app.user.signed_up",
        jobId,
        reason,
        attempts: 3,
        lastError,
        payload,
      });
      const parked: ParkedFailure = {
        failureId: row.id,
        originQueue: queue,
        originJobId: jobId,
        jobName: row.jobName,
        reason,
        attempts: 3,
        lastError,
        payload,
      };
      await registry.failure(reason).add(`${queue}/${row.jobName}`, parked, { jobId: `${row.id}-${row.occurrences}` });
      return row;
    },
    async close() {
      await failureWorkers?.close();
      await registry.close();
      redis.disconnect();
      await dbHandle.close();
      await testDb.drop();
      await deleteKeysWithPrefix(prefix).catch(() => {});
    },
  };
}
