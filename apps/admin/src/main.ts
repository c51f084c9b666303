import { createDb } from "@switchyard/db";
import { publishProcessMetrics } from "@switchyard/metrics";
import { metricsVia, runMain, StartupError } from "@switchyard/queue";
import { adminCredentials } from "./credentials.ts";
import { loadEnv } from "./env.ts";
import { startAdmin } from "./server.ts";

const config = loadEnv();
await runMain({ name: "admin", config, health: true }, async (logger) => {
  const creds = adminCredentials(config);
  if (!creds.ok) throw new StartupError(`switchyard admin: ${creds.message}`, 78);
  if (!config.DATABASE_URL) {
    throw new StartupError(
      "switchyard admin: a separate admin process needs DATABASE_URL; for the embedded database use `pnpm start`",
      78,
    );
  }
  const dbHandle = await createDb({
    databaseUrl: config.DATABASE_URL,
    maxConnections: config.DATABASE_POOL_MAX,
    // A statement unanswered for a minute is on a connection a failover left half-open.
    stallMs: 60_000,
    onPoolReplaced: (waitedMs) => logger.warn("database pool replaced: a statement went unanswered", { waitedMs }),
  });
  const admin = await startAdmin({ config, dbHandle, logger, credentials: creds.credentials });
  // Published too: a second admin replica adds this one's counts (its failure workers) to its scrape.
  return [admin, publishProcessMetrics(config, logger, metricsVia(config)), dbHandle];
});
