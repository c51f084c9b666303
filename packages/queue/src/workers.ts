import type { Config, Logger } from "@switchyard/config";
import { createDb, type DbHandle } from "@switchyard/db";
import type { WorkQueue } from "@switchyard/events";
import { type Metrics, publishProcessMetrics } from "@switchyard/metrics";
import { type Job, Worker } from "bullmq";
import { adminUrlOf, createAlerter } from "./alerts.ts";
import { createProcessor, requestIdOf } from "./define-worker.ts";
import { startFailureWatch } from "./failure-watch.ts";
import {
  createRedis,
  keyPrefix,
  metricsVia,
  queuePrefix,
  redisTargetOf,
  throttledErrors,
  warnIfClusterNode,
  withTimeout,
} from "./redis.ts";
import { QueueRegistry } from "./registry.ts";
import { runMain, StartupError } from "./run-main.ts";
import { closeOrGiveUp } from "./shutdown.ts";
import type { WorkerDefinition } from "./worker-types.ts";

export interface RunningWorkers {
  close(): Promise<void>;
}

/** What startWorkers starts: also a readiness check, for the health port. */
export interface StartedWorkers extends RunningWorkers {
  /** Rejects unless Redis and Postgres answer within a second and every worker runs. */
  ready(): Promise<void>;
}

export interface StartWorkersOptions {
  config: Config;
  logger: Logger;
  dbHandle: DbHandle;
  /** The process's own instruments when absent. */
  metrics?: Metrics;
}

// Due alerts go out within this of ALERT_AFTER_MS; a tick with nothing failing is one SMEMBERS.
const WATCH_TICK_MS = 1_000;
/** How long a stop waits for its jobs' last settles (Postgres away: the relay's recheck settles them). */
const SETTLE_FLUSH_MS = 5_000;

/** Starts one BullMQ worker per definition, each on its own blocking connection. */
export async function startWorkers(
  defs: readonly WorkerDefinition<WorkQueue>[],
  opts: StartWorkersOptions,
): Promise<StartedWorkers> {
  const { config } = opts;
  const target = redisTargetOf(config);
  const producer = createRedis(target, "producer");
  warnIfClusterNode(producer, target, (msg, fields) => opts.logger.error(msg, fields));
  producer.on("error", (err) => opts.logger.debug("redis connection error", { err }));
  const registry = QueueRegistry.fromConfig(config, producer);
  const alerter = createAlerter({
    redis: producer,
    prefix: keyPrefix(config),
    logger: opts.logger.child({ component: "alerts" }),
    webhookUrl: config.ALERT_WEBHOOK_URL,
    windowMs: config.ALERT_WINDOW_MS,
    adminUrl: adminUrlOf(config),
  });
  const watch = startFailureWatch({
    redis: producer,
    prefix: keyPrefix(config),
    alerter,
    config,
    logger: opts.logger.child({ component: "alerts" }),
    db: opts.dbHandle.db,
    tickMs: WATCH_TICK_MS,
  });
  // Jobs in a handler right now: once none is, a close that only waits for Redis can be given up.
  let active = 0;
  const running = defs.map((def) => {
    const logger = opts.logger.child({ worker: def.queue });
    const connection = createRedis(target, "worker");
    connection.on("error", (err) => logger.debug("redis connection error", { err }));
    const processor = createProcessor(def, {
      config,
      db: opts.dbHandle.db,
      logger,
      registry,
      alerter,
      watch,
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
    });
    const counted = async (job: Job): Promise<unknown> => {
      active++;
      try {
        return await processor(job);
      } finally {
        active--;
      }
    };
    const worker = new Worker(def.queue, counted, {
      connection,
      prefix: queuePrefix(config, def.queue),
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
    // A Redis away (a failover) makes BullMQ report each failed fetch: a line every 5 s at most.
    worker.on(
      "error",
      throttledErrors((msg, fields) => logger.error(msg, fields), "worker error"),
    );
    return { worker, connection, processor };
  });
  await Promise.all(running.map(({ worker }) => worker.waitUntilReady()));
  return {
    async ready() {
      const stopped = running.find(({ worker }) => !worker.isRunning());
      if (stopped) throw new Error(`worker ${stopped.worker.name} is not running`);
      await Promise.all([
        // A write, not a ping: a replica answers pings and refuses every job.
        registry.canEnqueue(1_000),
        withTimeout(opts.dbHandle.ping(), 1_000, "database ping"),
      ]);
    },
    async close() {
      // Worker.close() stops fetching and waits for the jobs in flight, so a SIGTERM loses none.
      // With Redis away it would wait for ever for Redis to acknowledge: once no job is left in a
      // handler, it is given up (a job whose completion Redis missed runs again, and is skipped).
      const closing = Promise.all(running.map(({ worker }) => worker.close()));
      const closed = await closeOrGiveUp(closing, { redis: producer, idle: () => active === 0 });
      if (!closed) opts.logger.warn("redis unreachable; workers stopped without its acknowledgement");
      // The jobs are done; the settles they left for later go out before the pool closes.
      await Promise.all(running.map(({ processor }) => processor.flushSettles(SETTLE_FLUSH_MS)));
      for (const { connection } of running) connection.disconnect();
      await watch.close();
      await registry.close();
      producer.disconnect();
    },
  };
}

/** The whole of a worker app's main: one definition in a process of its own, on Postgres. */
export function runWorkerMain(config: Config, def: WorkerDefinition<WorkQueue>): Promise<void> {
  return runMain({ name: def.queue, config, health: true }, async (logger) => {
    if (!config.DATABASE_URL) {
      // Embedded PGlite belongs to one process; a second one would corrupt or miss its data.
      throw new StartupError(
        `switchyard ${def.queue}: a separate worker process needs DATABASE_URL; for the embedded database run everything in one process with \`pnpm start\``,
        78,
      );
    }
    const dbHandle = await createDb({
      databaseUrl: config.DATABASE_URL,
      maxConnections: config.DATABASE_POOL_MAX,
      keyLookupsOnly: true,
      // A statement unanswered for a minute, twice the longest job deadline, is on a connection a
      // failover left half-open: the pool is replaced rather than wedged for the kernel's timeout.
      stallMs: 60_000,
      onPoolReplaced: (waitedMs) => logger.warn("database pool replaced: a statement went unanswered", { waitedMs }),
    });
    const workers = await startWorkers([def], { config, logger, dbHandle });
    const publisher = publishProcessMetrics(config, logger, metricsVia(config));
    logger.info("worker started", { queue: def.queue, concurrency: config.WORKER_CONCURRENCY });
    return [workers, publisher, dbHandle];
  });
}
