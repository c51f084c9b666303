import { createDb, runMigrations } from "@switchyard/db";
import { publishProcessMetrics } from "@switchyard/metrics";
import { metricsVia, runMain } from "@switchyard/queue";
import { loadEnv } from "./env.ts";
import { startIngest } from "./server.ts";

const config = loadEnv();
await runMain({ name: "ingest", config }, async (logger) => {
  const dbHandle = await createDb({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.DATA_DIR,
    maxConnections: config.DATABASE_POOL_MAX,
    // Every statement ingest runs is short: one this late is on a connection a failover left half-open.
    stallMs: 5 * config.DATABASE_TIMEOUT_MS,
    onPoolReplaced: (waitedMs) => logger.warn("database pool replaced: a statement went unanswered", { waitedMs }),
  });
  // Embedded PGlite belongs to this process alone, so nobody else can have migrated it.
  if (dbHandle.kind === "pglite") await runMigrations(dbHandle);
  const ingest = await startIngest({ config, dbHandle, logger });
  return [ingest, publishProcessMetrics(config, logger, metricsVia(config)), dbHandle];
});
