import { createLogger } from "@switchyard/config";
import { createDb, runMigrations } from "@switchyard/db";
import { loadEnv } from "./env.ts";

/** One-shot: apply migrations and exit (docker compose's `migrate` service). */
const config = loadEnv();
const logger = createLogger({ name: "migrate", level: config.LOG_LEVEL });
const dbHandle = await createDb({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR });
try {
  await runMigrations(dbHandle);
  logger.info("migrations applied", { database: dbHandle.kind });
} finally {
  await dbHandle.close();
}
