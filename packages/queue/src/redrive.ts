import { type Config, createLogger, type Logger } from "@switchyard/config";
import { type Db, markFailures, resolveFailure } from "@switchyard/db";
import { REASON_CODES } from "@switchyard/events";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { ParkedFailure } from "./failure-routing.ts";
import { createRedis } from "./redis.ts";
import type { QueueRegistry } from "./registry.ts";
import type { RunningWorkers } from "./workers.ts";

export type RedriveOutcome = "retried" | "re-added" | "in-flight" | "already-succeeded";

/**
 * Sends a parked failure's original job back to its queue with a fresh attempt budget. The
 * original keeps its id (so nothing new is created twice) unless it has been cleaned away.
 */
export async function redrive(db: Db, registry: QueueRegistry, parked: ParkedFailure): Promise<RedriveOutcome> {
  const origin = registry.get(parked.originQueue);
  const job = await origin.getJob(parked.originJobId);
  const state = job ? await job.getState() : undefined;
  if (state === "completed") {
    await resolveFailure(db, parked.originQueue, parked.originJobId);
    return "already-succeeded";
  }
  // Marked first: the re-driven job may succeed, and resolve the failure, before retry() returns.
  await markFailures(db, [parked.failureId], "retrying");
  if (job && state === "failed") {
    await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
    return "retried";
  }
  if (!job) {
    await origin.add(parked.jobName, parked.payload, { jobId: parked.originJobId });
    return "re-added";
  }
  return "in-flight";
}

/**
 * Workers on the failure queues. A parked job's first run fails it on purpose, so it waits in
 * Bull Board's "failed" list with its error and a Retry button; a retried run re-drives it.
 */
export async function startFailureWorkers(opts: {
  config: Config;
  db: Db;
  registry: QueueRegistry;
  logger?: Logger;
  /** Runs once when a failure is parked (its first run), e.g. to open a ticket for a person. */
  onParked?: (parked: ParkedFailure) => Promise<void>;
}): Promise<RunningWorkers> {
  const logger = opts.logger ?? createLogger({ name: "failures", level: opts.config.LOG_LEVEL });
  const connection = createRedis(opts.config.REDIS_URL, "worker");
  connection.on("error", (err) => logger.debug("redis connection error", { err }));
  const process = async (job: Job<ParkedFailure>) => {
    if (job.attemptsMade === 0) {
      await opts
        .onParked?.(job.data)
        .catch((err: unknown) => logger.error("could not act on a parked failure", { err }));
      const parkedError = new UnrecoverableError(job.data.lastError);
      // The parker's own stack says nothing about the failure; show the reason alone.
      parkedError.stack = `${job.data.lastError}\n(original job ${job.data.originQueue}/${job.data.originJobId}, ${job.data.attempts} attempt(s))`;
      throw parkedError;
    }
    const outcome = await redrive(opts.db, opts.registry, job.data);
    logger.info("failure re-driven", { failureId: job.data.failureId, queue: job.data.originQueue, outcome });
    return { outcome };
  };
  const workers = REASON_CODES.map(
    (reason) =>
      new Worker<ParkedFailure>(`failed.${reason}`, process, {
        connection: connection.duplicate(),
        prefix: opts.config.QUEUE_PREFIX,
        concurrency: 10,
      }),
  );
  for (const w of workers) w.on("error", (err) => logger.error("failure worker error", { err }));
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      connection.disconnect();
    },
  };
}
