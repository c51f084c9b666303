import type { SupportAdapter } from "@switchyard/connectors";
import type { ReasonCode } from "@switchyard/events";
import type { ParkedFailure } from "@switchyard/queue";

/** Failures no retry will fix without someone acting first: revoked keys, bad data, review requests. */
export const NEEDS_A_PERSON: readonly ReasonCode[] = ["auth_failed", "invalid_payload", "needs_human_review"];

/** Opens one support ticket per such failure (keyed by the failure), with what an operator needs. */
export async function openTicketFor(desk: SupportAdapter, parked: ParkedFailure, adminUrl: string): Promise<void> {
  if (!NEEDS_A_PERSON.includes(parked.reason)) return;
  const externalId = `failure-${parked.failureId}`;
  await desk.ensureTicket(
    {
      externalId,
      requesterEmail: null,
      subject: `Switchyard: ${parked.reason} in ${parked.originQueue} (${parked.jobName})`,
      customerId: null,
    },
    { idempotencyKey: `${externalId}-ticket` },
  );
  await desk.addInternalNote(
    externalId,
    {
      kind: "context",
      body: [
        `${parked.lastError}`,
        `Job ${parked.originQueue}/${parked.originJobId} after ${parked.attempts} attempt(s).`,
        `Fix the cause, then retry it from Bull Board (${adminUrl}/queues/queue/failed.${parked.reason}) or POST /api/failures/${parked.failureId}/retry.`,
      ].join("\n"),
    },
    { idempotencyKey: `${externalId}-note` },
  );
}
