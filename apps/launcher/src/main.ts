import { adminCredentials } from "@switchyard/admin";
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
const creds = adminCredentials(config);
if (!creds.ok) {
  process.stderr.write(`switchyard: ${creds.message}\n`);
  process.exit(78);
}
const logger = createLogger({ name: "switchyard", level: config.LOG_LEVEL, secrets: secretValues(config) });
const running = await launch(config, logger, creds.credentials);
if (creds.generated) {
  // Printed once, to the terminal only: the logger would redact nothing it does not know.
  process.stdout.write(
    `\nAdmin (Bull Board): http://127.0.0.1:${running.adminPort}/queues — development token: ${creds.generated}\n`,
  );
  process.stdout.write(
    `  curl -H "Authorization: Bearer ${creds.generated}" http://127.0.0.1:${running.adminPort}/api/failures\n\n`,
  );
}
logger.info("switchyard running", {
  ingest: `http://127.0.0.1:${running.ingestPort}`,
  admin: `http://127.0.0.1:${running.adminPort}/queues`,
  database: config.DATABASE_URL ? "postgres" : `embedded (${config.DATA_DIR})`,
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, async () => {
    logger.info("shutting down", { signal });
    await running.close();
    process.exit(0);
  });
}
