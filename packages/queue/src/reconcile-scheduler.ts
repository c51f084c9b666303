import type { Config, Logger } from "@switchyard/config";
import { Queue, Worker } from "bullmq";
import { createRedis, queuePrefix, redisTargetOf, throttledErrors } from "./redis.ts";

/** The BullMQ queue holding the reconcile's job scheduler: not a work queue, no event flows through it. */
export const RECONCILE_QUEUE = "reconcile";
const SCHEDULER_ID = "stripe-reconcile";

/** How long one run may hold the cursor without renewing it: well past a page request and its recording. */
export const reconcileLeaseMs = (config: Pick<Config, "PROVIDER_TIMEOUT_MS">) =>
  Math.max(60_000, 3 * config.PROVIDER_TIMEOUT_MS);

export interface ReconcileScheduler {
  close(): Promise<void>;
}

/**
 * Every RECONCILE_INTERVAL_MS, one job (BullMQ's job scheduler: one schedule in Redis however many
 * admin processes upsert it) runs `run` in whichever admin process takes it, one at a time. Off
 * (the schedule removed) without a Stripe key or with an interval of 0.
 */
export async function startReconcileScheduler(opts: {
  config: Config;
  logger: Logger;
  run: () => Promise<unknown>;
}): Promise<ReconcileScheduler> {
  const { config, logger } = opts;
  const connection = createRedis(redisTargetOf(config), "worker");
  connection.on("error", (err) => logger.debug("redis connection error", { err }));
  const prefix = queuePrefix(config, RECONCILE_QUEUE);
  const queue = new Queue(RECONCILE_QUEUE, { connection, prefix });
  queue.on("error", () => {});
  const enabled = Boolean(config.STRIPE_SECRET_KEY) && config.RECONCILE_INTERVAL_MS > 0;
  if (!enabled) {
    await queue.removeJobScheduler(SCHEDULER_ID).catch(() => false);
    await queue.close();
    connection.disconnect();
    return { close: async () => {} };
  }
  await queue.upsertJobScheduler(
    SCHEDULER_ID,
    { every: config.RECONCILE_INTERVAL_MS },
    { name: "stripe", opts: { removeOnComplete: 100, removeOnFail: 100, attempts: 1 } },
  );
  const worker = new Worker(RECONCILE_QUEUE, async () => opts.run(), {
    connection: connection.duplicate(),
    prefix,
    concurrency: 1,
    // A run pages through Stripe for minutes at most; the cursor's own lease keeps a second one out.
    lockDuration: reconcileLeaseMs(config),
  });
  worker.on(
    "error",
    throttledErrors((msg, fields) => logger.error(msg, fields), "reconcile worker error"),
  );
  await worker.waitUntilReady();
  logger.info("stripe reconcile scheduled", { everyMs: config.RECONCILE_INTERVAL_MS });
  return {
    async close() {
      await worker.close();
      await queue.close();
      connection.disconnect();
    },
  };
}
