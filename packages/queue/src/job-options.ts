import { JOB_CATALOG, type WorkQueue } from "@switchyard/events";
import type { JobsOptions } from "bullmq";

/** Keep finished jobs long enough that a late relay or re-delivery finds the job id taken. */
export const KEEP_COMPLETED = { age: 7 * 24 * 3600, count: 100_000 };
export const KEEP_FAILED = { age: 30 * 24 * 3600 };

export interface RetryOverrides {
  attempts?: number | undefined;
  backoffMs?: number | undefined;
}

/** Retry settings come from the job catalog (or the operator's overrides); jitter spreads retries. */
export function jobOptionsFor(queue: WorkQueue, overrides: RetryOverrides = {}): JobsOptions {
  const spec = JOB_CATALOG[queue];
  return {
    attempts: overrides.attempts ?? spec.attempts,
    backoff: { type: "exponential", delay: overrides.backoffMs ?? spec.backoffMs, jitter: 0.5 },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
}
