import { redact, secretValues } from "@switchyard/config";
import { recordFailure, settleEvent } from "@switchyard/db";
import { EventEnvelope, type ReasonCode, type WorkQueue } from "@switchyard/events";
import type { Job } from "bullmq";
import type { WorkerDeps } from "./worker-types.ts";

/** What a job in a `failed.<reason>` queue carries: enough to re-drive the original exactly. */
export interface ParkedFailure {
  failureId: string;
  originQueue: WorkQueue;
  originJobId: string;
  jobName: string;
  reason: ReasonCode;
  attempts: number;
  lastError: string;
  payload: unknown;
}

/** Records the failure and parks a copy in its reason's queue, then alerts. */
export async function routeFailure(
  deps: WorkerDeps,
  args: { queue: WorkQueue; job: Job; reason: ReasonCode; error: Error },
): Promise<void> {
  const { job, queue, reason } = args;
  const envelope = EventEnvelope.safeParse(job.data);
  const lastError = redact(`${reason}: ${args.error.message}`, secretValues(deps.config)).slice(0, 2_000);
  const attempts = job.attemptsMade + 1;
  const row = await recordFailure(deps.db, {
    eventId: envelope.success ? envelope.data.eventId : null,
    queue,
    jobName: job.name,
    jobId: String(job.id),
    reason,
    attempts,
    lastError,
    payload: job.data,
  });
  const parked: ParkedFailure = {
    failureId: row.id,
    originQueue: queue,
    originJobId: String(job.id),
    jobName: job.name,
    reason,
    attempts,
    lastError,
    payload: job.data,
  };
  await deps.registry.failure(reason).add(`${queue}/${job.name}`, parked, { jobId: `${row.id}-${row.occurrences}` });
  deps.logger.warn("job failed for good; parked", { reason, queue, jobId: job.id, failureId: row.id });
  await deps.alerter?.notify(reason, { queue, jobName: job.name, error: lastError, attempts });
  // Last, so a database hiccup here costs neither the parked copy nor the alert. With the failure
  // committed, the event is `failed` unless another queue still owes it a run.
  if (envelope.success)
    await settleEvent(deps.db, envelope.data.eventId).catch((err: unknown) =>
      deps.logger.warn("failure parked; the event's status was not updated", { eventId: envelope.data.eventId, err }),
    );
}
