import { type Config, createLogger, type Logger, secretValues } from "@switchyard/config";
import type { EventEnvelope, WorkQueue } from "@switchyard/events";
import { createRedis } from "./redis.ts";
import { runWorker } from "./worker.ts";

export interface WorkerDefinition {
  queue: WorkQueue;
  handle(envelope: EventEnvelope, ctx: { logger: Logger }): Promise<void>;
}

export interface RunningWorkers {
  close(): Promise<void>;
}

/** Starts each definition's BullMQ worker on its own blocking connection. */
export async function startWorkers(
  defs: readonly WorkerDefinition[],
  opts: { config: Config; logger: Logger },
): Promise<RunningWorkers> {
  const running = defs.map((def) => {
    const logger = opts.logger.child({ worker: def.queue });
    const connection = createRedis(opts.config.REDIS_URL, "worker");
    connection.on("error", (err) => logger.debug("redis connection error", { err }));
    const worker = runWorker({
      queue: def.queue,
      connection,
      prefix: opts.config.QUEUE_PREFIX,
      concurrency: opts.config.WORKER_CONCURRENCY,
      logger,
      handle: (envelope) => def.handle(envelope, { logger }),
    });
    return { worker, connection };
  });
  await Promise.all(running.map(({ worker }) => worker.waitUntilReady()));
  return {
    async close() {
      // Worker.close() waits for jobs in flight to finish, so a SIGTERM loses none.
      await Promise.all(running.map(({ worker }) => worker.close()));
      for (const { connection } of running) connection.disconnect();
    },
  };
}

/** The whole of a worker app's main: start, log, stop cleanly on SIGTERM/SIGINT. */
export async function runWorkerMain(config: Config, def: WorkerDefinition): Promise<void> {
  const logger = createLogger({ name: def.queue, level: config.LOG_LEVEL, secrets: secretValues(config) });
  const workers = await startWorkers([def], { config, logger });
  logger.info("worker started", { queue: def.queue, concurrency: config.WORKER_CONCURRENCY });
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, async () => {
      logger.info("shutting down", { signal });
      await workers.close();
      process.exit(0);
    });
  }
}
