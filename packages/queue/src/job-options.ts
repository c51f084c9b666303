import { JOB_CATALOG, type WorkQueue } from "@switchyard/events";
import type { JobsOptions } from "bullmq";

/** Keep finished jobs long enough that a late relay or re-delivery finds the job id taken. */
export const KEEP_COMPLETED = { age: 7 * 24 * 3600, count: 100_000 };
export const KEEP_FAILED = { age: 30 * 24 * 3600 };

/** Retry settings come from the job catalog; jitter spreads a burst of retries apart. */
export function jobOptionsFor(queue: WorkQueue): JobsOptions {
  const spec = JOB_CATALOG[queue];
  return {
    attempts: spec.attempts,
    backoff: { type: "exponential", delay: spec.backoffMs, jitter: 0.5 },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}
