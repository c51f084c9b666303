import {
  beginRetryAll,
  type Db,
  discardFailureRow,
  type FailureRow,
  type FailureStatus,
  getFailure,
} from "@switchyard/db";
import { isReasonCode, isWorkQueue, type ReasonCode } from "@switchyard/events";
import type { ParkedFailure } from "./failure-routing.ts";
import { parkedJobId, type RedriveOutcome, redrive, sendBack } from "./redrive.ts";
import type { QueueRegistry } from "./registry.ts";

function parkedOf(f: FailureRow): ParkedFailure {
  // The row's types say what Switchyard writes; the database itself holds any text.
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

/** What a retry did: re-driven by this call, or refused because the failure was not open for it. */
export type RetryResult =
  | { retried: true; outcome: RedriveOutcome }
  | { retried: false; status: FailureStatus | "gone"; occurrences?: number };

/**
 * The parked copy of a failure this call has re-driven is retried too, so it leaves Bull Board's
 * failed list as after a Retry there; its run finds the failure no longer open and re-drives
 * nothing. Best effort: the copy may be gone, or already on its way.
 */
async function settleParkedCopy(registry: QueueRegistry, f: FailureRow, occurrence: number): Promise<void> {
  const parked = await registry.failure(f.reason).getJob(parkedJobId(f.id, occurrence));
  await parked?.retry("failed").catch(() => {});
}

/**
 * Retries one failure: the re-drive happens here, once, for whichever concurrent call claims the
 * failure (open → retrying for `attempt`, by default the occurrence read); the others are refused
 * with the status they found.
 */
export async function retryFailure(
  db: Db,
  registry: QueueRegistry,
  f: FailureRow,
  attempt = f.occurrences,
): Promise<RetryResult> {
  const outcome = await redrive(db, registry, parkedOf(f), attempt);
  if (!outcome) {
    const now = await getFailure(db, f.id);
    return now
      ? { retried: false, status: now.status, occurrences: now.occurrences }
      : { retried: false, status: "gone" };
  }
  await settleParkedCopy(registry, f, attempt);
  return { retried: true, outcome };
}

/** At most this many re-drives of one Retry all are sent at a time. */
const RETRY_ALL_PARALLEL = 16;

/**
 * Retry all of a reason: claims every open failure of it (up to 1,000, the dry run's count) in
 * one statement and re-drives each claimed one. Two Retry alls at once claim disjoint sets, so
 * each failure is re-driven once; the second finds nothing left (0). Returns how many it re-drove.
 */
export async function retryAllFailures(db: Db, registry: QueueRegistry, reason: ReasonCode): Promise<number> {
  const claimed = await beginRetryAll(db, reason);
  let sent = 0;
  let firstError: unknown;
  const queue = [...claimed];
  const next = async (): Promise<void> => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      try {
        await sendBack(db, registry, parkedOf(f), f.occurrences);
        await settleParkedCopy(registry, f, f.occurrences);
        sent += 1;
      } catch (err) {
        // sendBack reopened it; the rest still go, and the caller hears of the first error.
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(RETRY_ALL_PARALLEL, claimed.length) }, next));
  if (firstError !== undefined && sent === 0) throw firstError;
  return sent;
}

/**
 * Discarding closes the failure (unless it is already closed) and drops its parked copy; the note
 * says why. False when it was already resolved or discarded.
 */
export async function discardFailure(db: Db, registry: QueueRegistry, f: FailureRow, note: string): Promise<boolean> {
  const row = await discardFailureRow(db, f.id, note);
  if (!row) return false;
  const parked = await registry.failure(f.reason).getJob(parkedJobId(f.id, row.occurrences));
  // An active copy is locked by its worker; it finds the failure discarded and does nothing.
  await parked?.remove().catch(() => {});
  return true;
}
