import { adminCredentials } from "@switchyard/admin";
import { redisTargetOf, runMain, StartupError } from "@switchyard/queue";
import { parseDirect } from "./cli/command.ts";
import { exitIfPortInUse, portProblem } from "./cli/ports.ts";
import { start } from "./cli/start.ts";
import { devCredentials } from "./dev-credentials.ts";
import { loadEnv } from "./env.ts";
import { launch } from "./launch.ts";
import { requireRedis } from "./redis-check.ts";

if (import.meta.main) parseDirect(start);
const config = loadEnv();
const busy = await portProblem(config);
if (busy) {
  process.stderr.write(`switchyard: ${busy}\n`);
  process.exit(1);
}
await runMain({ name: "start", config }, async (logger) => {
  const problem = await requireRedis(config.REDIS_URL, redisTargetOf(config));
  if (problem) throw new StartupError(problem);
  const creds = adminCredentials(config);
  if (!creds.ok) throw new StartupError(`switchyard: ${creds.message}`, 78);
  const running = await launch(config, logger, creds.credentials).catch(exitIfPortInUse);
  if (creds.generated) {
    process.stdout.write(devCredentials(running.adminPort, creds.generated, { user: config.ADMIN_USER }));
  }
  logger.info("switchyard running", {
    ingest: `http://127.0.0.1:${running.ingestPort}`,
    console: `http://127.0.0.1:${running.adminPort}/console`,
    database: config.DATABASE_URL ? "postgres" : `embedded (${config.DATA_DIR})`,
  });
  return [running];
});
