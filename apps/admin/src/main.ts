import { createLogger, secretValues } from "@switchyard/config";
import { createDb } from "@switchyard/db";
import { publishProcessMetrics } from "@switchyard/metrics";
import { adminCredentials } from "./credentials.ts";
import { loadEnv } from "./env.ts";
import { startAdmin } from "./server.ts";

const config = loadEnv();
const creds = adminCredentials(config);
if (!creds.ok) {
  process.stderr.write(`switchyard admin: ${creds.message}\n`);
  process.exit(78);
}
if (!config.DATABASE_URL) {
  process.stderr.write(
    "switchyard admin: a separate admin process needs DATABASE_URL; for the embedded database use `pnpm start`\n",
  );
  process.exit(78);
}
const logger = createLogger({ name: "admin", level: config.LOG_LEVEL, secrets: secretValues(config) });
const dbHandle = await createDb({ databaseUrl: config.DATABASE_URL, maxConnections: config.DATABASE_POOL_MAX });
const admin = await startAdmin({ config, dbHandle, logger, credentials: creds.credentials });
// Published too: a second admin replica adds this one's counts (its failure workers) to its scrape.
const publisher = publishProcessMetrics(config, logger);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    await admin.close();
    await publisher.close();
    await dbHandle.close();
    process.exit(0);
  });
}
