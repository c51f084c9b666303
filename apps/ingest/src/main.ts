import { createLogger, secretValues } from "@switchyard/config";
import { createDb, runMigrations } from "@switchyard/db";
import { publishProcessMetrics } from "@switchyard/metrics";
import { loadEnv } from "./env.ts";
import { startIngest } from "./server.ts";

const config = loadEnv();
const logger = createLogger({ name: "ingest", level: config.LOG_LEVEL, secrets: secretValues(config) });
const dbHandle = await createDb({
  databaseUrl: config.DATABASE_URL,
  dataDir: config.DATA_DIR,
  maxConnections: config.DATABASE_POOL_MAX,
});
// Embedded PGlite belongs to this process alone, so nobody else can have migrated it.
if (dbHandle.kind === "pglite") await runMigrations(dbHandle);
const ingest = await startIngest({ config, dbHandle, logger });
const publisher = publishProcessMetrics(config, logger);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    logger.info("shutting down", { signal });
    await ingest.close();
    await publisher.close();
    await dbHandle.close();
    process.exit(0);
  });
}
