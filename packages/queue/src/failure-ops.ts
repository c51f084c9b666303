import { type Db, type FailureRow, markFailures } from "@switchyard/db";
import { isReasonCode, isWorkQueue, type ReasonCode } from "@switchyard/events";
import type { ParkedFailure } from "./failure-routing.ts";
import { type RedriveOutcome, redrive } from "./redrive.ts";
import type { QueueRegistry } from "./registry.ts";

const parkedJobId = (f: FailureRow) => `${f.id}-${f.occurrences}`;

function parkedOf(f: FailureRow): ParkedFailure {
  if (!isWorkQueue(f.queue) || !isReasonCode(f.reason))
    throw new Error(`failure ${f.id} names an unknown queue or reason`);
  return {
    failureId: f.id,
    originQueue: f.queue,
    originJobId: f.jobId,
    jobName: f.jobName,
    reason: f.reason,
    attempts: f.attempts,
    lastError: f.lastError ?? "",
    payload: f.payload,
  };
}

/**
 * Retries one failure the way Bull Board's Retry button does: the parked job is retried, and the
 * failure worker re-drives the original. When the parked copy is gone, the original is re-driven here.
 */
export async function retryFailure(db: Db, registry: QueueRegistry, f: FailureRow): Promise<RedriveOutcome | "queued"> {
  const parked = await registry.failure(f.reason as ReasonCode).getJob(parkedJobId(f));
  if (parked && (await parked.getState()) === "failed") {
    await parked.retry("failed");
    return "queued";
  }
  return redrive(db, registry, parkedOf(f));
}

/** Retry all of a reason: every parked job in `failed.<reason>` goes back to be re-driven. */
export async function retryAllFailures(registry: QueueRegistry, reason: ReasonCode): Promise<number> {
  const queue = registry.failure(reason);
  const parked = await queue.getJobCountByTypes("failed");
  await queue.retryJobs({ state: "failed", count: 1_000 });
  return parked;
}

/** Discarding closes the failure and drops its parked copy; the note says why. */
export async function discardFailure(db: Db, registry: QueueRegistry, f: FailureRow, note: string): Promise<void> {
  await markFailures(db, [f.id], "discarded", note);
  const parked = await registry.failure(f.reason as ReasonCode).getJob(parkedJobId(f));
  await parked?.remove();
}
