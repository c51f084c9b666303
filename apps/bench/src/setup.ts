// What a run does before it measures and after: look at the machine (read only), then a database,
// a key prefix and secrets of its own, migrated; and take all of it away again.
import { randomUUID } from "node:crypto";
import { createTestDatabase, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from "@switchyard/testkit";
import postgres from "postgres";
import { detectNoise, type NoiseReport } from "./noise.ts";
import { exited, Processes } from "./processes.ts";
import { repoPath } from "./settings.ts";

export interface Run {
  noise: NoiseReport;
  databaseUrl: string;
  sql: postgres.Sql;
  prefix: string;
  secret: string;
  appKey: string;
  /** The environment every Switchyard process of the run gets. */
  env: Record<string, string>;
  processes: Processes;
  /** Stops every process still running and drops the database and keys. Never throws. */
  close(): Promise<void>;
}

export interface RunOptions {
  /** Root of the /sys and /proc that noise detection reads. */
  root?: string;
  /** How long noise detection samples CPU use. */
  sampleMs?: number;
  workerConcurrency: number;
  /** Where the run's processes are tracked; the caller's, so a signal can stop them mid-setup. */
  processes?: Processes;
}

export async function openRun(opts: RunOptions): Promise<Run> {
  // First, so that nothing the bench starts counts as other load.
  const noise = await detectNoise({
    ...(opts.root ? { root: opts.root } : {}),
    ...(opts.sampleMs !== undefined ? { sampleMs: opts.sampleMs } : {}),
  });
  const db = await createTestDatabase("bench");
  const prefix = uniquePrefix("bench");
  const sql = postgres(db.url, { max: 2, onnotice: () => {} });
  const processes = opts.processes ?? new Processes();
  const secret = `whsec_bench_${randomUUID().replaceAll("-", "")}`;
  const appKey = `sy_bench_${randomUUID().replaceAll("-", "")}`;
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: prefix,
    STRIPE_WEBHOOK_SECRET: secret,
    APP_API_KEYS: appKey,
    WORKER_CONCURRENCY: String(opts.workerConcurrency),
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    processes.killAll();
    await Promise.allSettled([sql.end()]);
    await Promise.allSettled([db.drop(), deleteKeysWithPrefix(prefix)]);
  };
  try {
    const migrate = processes.start("migrate", repoPath("apps/launcher/src/migrate.ts"), { env, measured: false });
    const code = await exited(migrate.child);
    if (code !== 0) throw new Error(`migrate exited with ${code}`);
  } catch (err) {
    await close();
    throw err;
  }
  return { noise, databaseUrl: db.url, sql, prefix, secret, appKey, env, processes, close };
}
