// An entry point built on runMain, for run-main.test.ts: `node main-fixture.ts <mode> <secret>`.
import { setTimeout as sleep } from "node:timers/promises";
import { parseConfig } from "@switchyard/config";
import { runMain, StartupError } from "../run-main.ts";

const [mode, secret = ""] = process.argv.slice(2);
const config = parseConfig({
  LOG_LEVEL: "info",
  OPENAI_API_KEY: secret,
  HEALTH_PORT: process.env.HEALTH_PORT,
  SHUTDOWN_GRACE_MS: process.env.SHUTDOWN_GRACE_MS,
  SHUTDOWN_DELAY_MS: process.env.SHUTDOWN_DELAY_MS,
});

await runMain({ name: "fixture", config, health: true }, async (logger) => {
  if (mode === "refuse") throw new StartupError("switchyard fixture: set FIXTURE_URL to start", 78);
  if (mode === "crash") throw new Error(`could not reach the provider\n  with key ${secret}`);
  if (mode === "slow-start") {
    logger.info("fixture starting");
    await sleep(500);
  }
  if (mode === "stuck-start") {
    logger.info("fixture starting");
    await new Promise(() => setInterval(() => {}, 60_000));
  }
  // Each holds a timer, as a server holds its socket, and takes a while to close, so closing them
  // one after another shows in the order of the lines.
  const closable = (name: string, fail = false) => {
    const handle = setInterval(() => {}, 60_000);
    return {
      drain() {
        process.stdout.write(`drained ${name}\n`);
      },
      async ready() {
        if (mode === "unready" && name === "database") throw new Error("database ping timed out");
      },
      async close() {
        await sleep(50);
        if (mode === "hang" && name === "publisher") await new Promise(() => {});
        if (fail) throw new Error(`${name} would not close`);
        clearInterval(handle);
        process.stdout.write(`closed ${name}\n`);
      },
    };
  };
  logger.info("fixture started");
  return [closable("server"), closable("publisher", mode === "close-fails"), closable("database")];
});
