import { type Config, createLogger, type Logger } from "@switchyard/config";
import { beginRetry, type Db, finishRetry } from "@switchyard/db";
import { REASON_CODES } from "@switchyard/events";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { ParkedFailure } from "./failure-routing.ts";
import { createRedis, queuePrefix, redisTargetOf, throttledErrors } from "./redis.ts";
import type { QueueRegistry } from "./registry.ts";
import type { RunningWorkers } from "./workers.ts";

export type RedriveOutcome = "retried" | "re-added" | "in-flight" | "already-succeeded";

/** A parked copy's id: one per failure and occurrence, so a failure that fails again parks anew. */
export const parkedJobId = (failureId: string, occurrence: number) => `${failureId}-${occurrence}`;

/** The occurrence a parked copy was parked for: the attempt token its re-drive claims with. */
export function occurrenceOfParked(job: Pick<Job, "id">, failureId: string): number | undefined {
  const n = Number(String(job.id).slice(failureId.length + 1));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * Re-drives a parked failure if this call wins the claim (open → retrying for `attempt`), and
 * only then: concurrent retries of one failure (double clicks, Retry beside Retry all, several
 * admin processes) re-drive it once. `undefined` when the failure was not open for that attempt.
 */
export async function redrive(
  db: Db,
  registry: QueueRegistry,
  parked: ParkedFailure,
  attempt?: number,
): Promise<RedriveOutcome | undefined> {
  const claimed = await beginRetry(db, parked.failureId, attempt);
  if (!claimed) return undefined;
  return sendBack(db, registry, parked, claimed.occurrences);
}

/**
 * Sends a claimed failure's original job back to its queue with a fresh attempt budget. The
 * original keeps its id (so nothing new is created twice) unless it has been cleaned away. The
 * caller holds the claim for `attempt`; should the send fail, the failure is open again.
 */
export async function sendBack(
  db: Db,
  registry: QueueRegistry,
  parked: ParkedFailure,
  attempt: number,
): Promise<RedriveOutcome> {
  try {
    const origin = registry.get(parked.originQueue);
    const job = await origin.getJob(parked.originJobId);
    const state = job ? await job.getState() : undefined;
    if (state === "completed") {
      await finishRetry(db, parked.failureId, attempt, "resolved");
      return "already-succeeded";
    }
    // Claimed before the send, so the re-driven job's success (which resolves the failure) can
    // only come after it: nothing can set a resolved failure back to retrying.
    if (job && state === "failed") {
      try {
        await job.retry("failed", { resetAttemptsMade: true, resetAttemptsStarted: true });
        return "retried";
      } catch (err) {
        // Someone re-ran it in Bull Board meanwhile: it is on its way, which is what we wanted.
        if ((await job.getState()) !== "failed") return "in-flight";
        throw err;
      }
    }
    if (!job) {
      await origin.add(parked.jobName, parked.payload, { jobId: parked.originJobId });
      return "re-added";
    }
    return "in-flight";
  } catch (err) {
    await finishRetry(db, parked.failureId, attempt, "open").catch(() => {});
    throw err;
  }
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
  const connection = createRedis(redisTargetOf(opts.config), "worker");
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
    // Bull Board's Retry (or Retry all) on a parked copy: a re-drive only if the failure is still
    // open for the occurrence this copy was parked for.
    const attempt = occurrenceOfParked(job, job.data.failureId);
    const outcome = await redrive(opts.db, opts.registry, job.data, attempt);
    const fields = { failureId: job.data.failureId, queue: job.data.originQueue, outcome: outcome ?? "not-open" };
    logger.info(
      outcome ? "failure re-driven" : "parked copy retried; its failure was not open, nothing re-driven",
      fields,
    );
    return { outcome: outcome ?? "not-open" };
  };
  const workers = REASON_CODES.map(
    (reason) =>
      new Worker<ParkedFailure>(`failed.${reason}`, process, {
        connection: connection.duplicate(),
        prefix: queuePrefix(opts.config, `failed.${reason}`),
        concurrency: 10,
      }),
  );
  for (const w of workers) {
    w.on(
      "error",
      throttledErrors((msg, fields) => logger.error(msg, fields), "failure worker error"),
    );
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));
  return {
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      connection.disconnect();
    },
  };
}
