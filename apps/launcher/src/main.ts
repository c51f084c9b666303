import { createLogger, secretValues } from "@switchyard/config";
import { loadEnv } from "./env.ts";
import { launch } from "./launch.ts";
import { requireRedis } from "./redis-check.ts";

const config = loadEnv();
const problem = await requireRedis(config.REDIS_URL);
if (problem) {
  process.stderr.write(`${problem}\n`);
  process.exit(1);
}
const logger = createLogger({ name: "switchyard", level: config.LOG_LEVEL, secrets: secretValues(config) });
const running = await launch(config, logger);
logger.info("switchyard running", {
  ingest: `http://127.0.0.1:${running.ingestPort}`,
  database: config.DATABASE_URL ? "postgres" : `embedded (${config.DATA_DIR})`,
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    logger.info("shutting down", { signal });
    await running.close();
    process.exit(0);
  });
}
