import { type Config, createLogger, type Logger, secretValues } from "@switchyard/config";
import { createDb, type DbHandle } from "@switchyard/db";
import type { WorkQueue } from "@switchyard/events";
import { type Metrics, publishProcessMetrics } from "@switchyard/metrics";
import { Worker } from "bullmq";
import { createAlerter } from "./alerts.ts";
import { createProcessor, requestIdOf, type WorkerDefinition } from "./define-worker.ts";
import { createRedis } from "./redis.ts";
import { QueueRegistry } from "./registry.ts";

export interface RunningWorkers {
  close(): Promise<void>;
}

export interface StartWorkersOptions {
  config: Config;
  logger: Logger;
  dbHandle: DbHandle;
  /** The process's own instruments when absent. */
  metrics?: Metrics;
}

/** Starts one BullMQ worker per definition, each on its own blocking connection. */
export async function startWorkers(
  defs: readonly WorkerDefinition<WorkQueue>[],
  opts: StartWorkersOptions,
): Promise<RunningWorkers> {
  const { config } = opts;
  const producer = createRedis(config.REDIS_URL, "producer");
  producer.on("error", (err) => opts.logger.debug("redis connection error", { err }));
  const registry = QueueRegistry.fromConfig(config, producer);
  const alerter = createAlerter({
    redis: producer,
    prefix: config.QUEUE_PREFIX,
    logger: opts.logger.child({ component: "alerts" }),
    webhookUrl: config.ALERT_WEBHOOK_URL,
    windowMs: config.ALERT_WINDOW_MS,
  });
  const running = defs.map((def) => {
    const logger = opts.logger.child({ worker: def.queue });
    const connection = createRedis(config.REDIS_URL, "worker");
    connection.on("error", (err) => logger.debug("redis connection error", { err }));
    const processor = createProcessor(def, {
      config,
      db: opts.dbHandle.db,
      logger,
      registry,
      alerter,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
    });
    const worker = new Worker(def.queue, processor, {
      connection,
      prefix: config.QUEUE_PREFIX,
      concurrency: config.WORKER_CONCURRENCY,
      lockDuration: config.WORKER_LOCK_MS,
      stalledInterval: config.WORKER_LOCK_MS,
    });
    worker.on("failed", (job, err) =>
      logger.warn("job attempt failed", {
        jobId: job?.id,
        job: job?.name,
        attempts: job?.attemptsMade,
        requestId: requestIdOf(job),
        err,
      }),
    );
    worker.on("error", (err) => logger.error("worker error", { err }));
    return { worker, connection };
  });
  await Promise.all(running.map(({ worker }) => worker.waitUntilReady()));
  return {
    async close() {
      // Worker.close() waits for the jobs in flight, so a SIGTERM loses none.
      await Promise.all(running.map(({ worker }) => worker.close()));
      for (const { connection } of running) connection.disconnect();
      await registry.close();
      producer.disconnect();
    },
  };
}

/** The whole of a worker app's main: start, log, stop cleanly on SIGTERM/SIGINT. */
export async function runWorkerMain(config: Config, def: WorkerDefinition<WorkQueue>): Promise<void> {
  const logger = createLogger({ name: def.queue, level: config.LOG_LEVEL, secrets: secretValues(config) });
  if (!config.DATABASE_URL) {
    // Embedded PGlite belongs to one process; a second one would corrupt or miss its data.
    process.stderr.write(
      `switchyard ${def.queue}: a separate worker process needs DATABASE_URL; for the embedded database run everything in one process with \`pnpm start\`\n`,
    );
    process.exit(78);
  }
  const dbHandle = await createDb({
    databaseUrl: config.DATABASE_URL,
    maxConnections: config.DATABASE_POOL_MAX,
    keyLookupsOnly: true,
  });
  const workers = await startWorkers([def], { config, logger, dbHandle });
  const publisher = publishProcessMetrics(config, logger);
  logger.info("worker started", { queue: def.queue, concurrency: config.WORKER_CONCURRENCY });
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, async () => {
      logger.info("shutting down", { signal });
      await workers.close();
      await publisher.close();
      await dbHandle.close();
      process.exit(0);
    });
  }
}
