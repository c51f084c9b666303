import type { JobStatus } from "./job-states-repo.ts";

/** The systems an app's user touches, by the queues that keep each in step with Switchyard. */
export const SYSTEM_QUEUES = {
  billing: ["billing-sync"],
  crm: ["crm-sync"],
  support: ["support-context", "ai-triage"],
} as const;
export type SystemName = keyof typeof SYSTEM_QUEUES;

export type SyncState = "in_sync" | "pending" | "failed";

export interface SystemStatus {
  state: SyncState;
  /** The failure's reason code (`crm_timeout`, ...) when failed, or a re-drive's while pending. */
  reason: string | null;
  /** Failing since, pending since, or in sync since the last completed job (null: no work yet). */
  since: string | null;
}

/** What the app can tell its user to do next; each comes with a sentence it may show as is. */
export const NEXT_STEPS = ["none", "retry_payment", "update_card", "contact_support", "wait"] as const;
export type NextStep = (typeof NEXT_STEPS)[number];

export interface PaymentSignal {
  /** The newest failed payment is newer than the newest successful one. */
  outstanding: boolean;
  /** The event that reported it: `stripe.invoice.payment_action_required` asks the user to confirm. */
  failureType: string | null;
}

/**
 * One system's state from its jobs. A failure stops counting once a later event of the same queue
 * completed: that sync wrote the current state (billing reads Stripe's, crm-sync upserts the whole
 * contact). A discarded job is an operator's decision and counts for nothing.
 */
export function systemStatus(jobs: readonly (JobStatus & { receivedAt: Date })[]): SystemStatus {
  const done = jobs.filter((j) => j.state === "completed");
  const lastDone = done.reduce<(typeof done)[number] | undefined>(
    (a, j) => (!a || j.receivedAt > a.receivedAt ? j : a),
    undefined,
  );
  const current = jobs.filter(
    (j) => j.state !== "completed" && j.state !== "discarded" && !(lastDone && lastDone.receivedAt > j.receivedAt),
  );
  const earliest = (list: typeof current) =>
    list.reduce<(typeof current)[number] | undefined>((a, j) => (!a || j.since < a.since ? j : a), undefined);
  const failed = earliest(current.filter((j) => j.state === "failed"));
  if (failed) return { state: "failed", reason: failed.reason, since: failed.since.toISOString() };
  const pending = earliest(current);
  if (pending) return { state: "pending", reason: pending.reason, since: pending.since.toISOString() };
  const latest = done.reduce<(typeof done)[number] | undefined>((a, j) => (!a || j.since > a.since ? j : a), undefined);
  return { state: "in_sync", reason: null, since: latest ? latest.since.toISOString() : null };
}

const SENTENCES: Record<NextStep, string> = {
  none: "Nothing to do: your account is up to date.",
  retry_payment: "Your bank asked to confirm your last payment: retry it from the billing page.",
  update_card: "Your last payment was declined: update your card to keep your access.",
  contact_support: "We could not finish updating your account: please contact support.",
  wait: "We are still processing your latest changes: check again in a minute.",
};

/**
 * What the user should do, most urgent first. The CRM is Switchyard's own bookkeeping: its
 * failures and delays never ask anything of the user.
 */
export function nextStep(
  systems: Record<SystemName, SystemStatus>,
  payment: PaymentSignal,
): { code: NextStep; message: string } {
  const code: NextStep =
    systems.billing.state === "failed" || systems.support.state === "failed"
      ? "contact_support"
      : payment.outstanding
        ? payment.failureType === "stripe.invoice.payment_action_required"
          ? "retry_payment"
          : "update_card"
        : systems.billing.state === "pending" || systems.support.state === "pending"
          ? "wait"
          : "none";
  return { code, message: SENTENCES[code] };
}
