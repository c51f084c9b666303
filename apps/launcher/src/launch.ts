import { type AdminCredentials, startAdmin } from "@switchyard/admin";
import type { Config, Logger } from "@switchyard/config";
import { createDb, type DbHandle, runMigrations } from "@switchyard/db";
import { ingestOpenApi, startIngest } from "@switchyard/ingest";
import { publishProcessMetrics } from "@switchyard/metrics";
import { metricsVia, startWorkers } from "@switchyard/queue";
import { WORKERS } from "./workers.ts";

export interface Launched {
  ingestPort: number;
  adminPort: number;
  dbHandle: DbHandle;
  /** SIGTERM's first step: ingest's /readyz fails from now on. */
  drain(): void;
  close(): Promise<void>;
}

/** Everything in one process: migrations first, then ingest (with its relay) and every worker. */
export async function launch(config: Config, logger: Logger, credentials: AdminCredentials): Promise<Launched> {
  const dbHandle = await createDb({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    maxConnections: config.DATABASE_POOL_MAX,
  });
  await runMigrations(dbHandle);
  logger.info("database ready", { kind: dbHandle.kind });
  // On Postgres the workers get a pool of their own, whose sessions keep cached plans on indexes
  // (keyLookupsOnly); ingest's relay needs the default planner. Embedded PGlite is one connection.
  const workerDb = config.DATABASE_URL
    ? await createDb({
        databaseUrl: config.DATABASE_URL,
        maxConnections: config.DATABASE_POOL_MAX,
        keyLookupsOnly: true,
      })
    : dbHandle;
  const workers = await startWorkers(WORKERS, {
    config,
    logger,
    dbHandle: workerDb,
  });
  const ingest = await startIngest({ config, dbHandle, logger: logger.child({ app: "ingest" }) });
  // Admin does not import ingest; this process runs both, so admin's /openapi.json describes both.
  const admin = await startAdmin({
    config,
    dbHandle,
    logger: logger.child({ app: "admin" }),
    credentials,
    publicApi: ingestOpenApi(),
  });
  // One snapshot for the whole process; this admin reads the same instruments live.
  const publisher = publishProcessMetrics(config, logger, metricsVia(config));
  return {
    ingestPort: ingest.port,
    adminPort: admin.port,
    dbHandle,
    drain: () => ingest.drain(),
    async close() {
      await admin.close();
      await ingest.close();
      await workers.close();
      await publisher.close();
      if (workerDb !== dbHandle) await workerDb.close();
      await dbHandle.close();
    },
  };
}
