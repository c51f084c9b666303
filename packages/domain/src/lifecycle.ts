import type { LifecycleStage } from "@switchyard/connectors";
import type { Customer } from "./customers.ts";

const PAID_STATUSES = new Set(["active", "trialing"]);

/**
 * Tie-break for two subscription facts stamped in the same second: the less privileged status wins,
 * so paid access never depends on which of two simultaneous events arrived last.
 */
export const STATUS_RANK: Readonly<Record<string, number>> = {
  trialing: 1,
  active: 2,
  incomplete: 3,
  paused: 4,
  past_due: 5,
  unpaid: 6,
  incomplete_expired: 7,
  canceled: 8,
};
export const statusRank = (status: string) => STATUS_RANK[status] ?? 0;

type BillingView = Pick<Customer, "subscriptionStatus" | "lastPaymentAt" | "lastPaymentFailedAt" | "statusOverride">;

/** A failure newer than the last successful payment means the account is not paid up. */
export function paymentOutstanding(c: BillingView): boolean {
  if (!c.lastPaymentFailedAt) return false;
  return !c.lastPaymentAt || c.lastPaymentFailedAt > c.lastPaymentAt;
}

/** Paid access follows only a paid state; a failed payment never grants it. */
export function isEntitled(c: BillingView): boolean {
  if (c.statusOverride === "entitled") return true;
  if (c.statusOverride === "not_entitled") return false;
  return PAID_STATUSES.has(c.subscriptionStatus ?? "") && !paymentOutstanding(c);
}

export function lifecycleStage(c: BillingView & Pick<Customer, "entitled">): LifecycleStage {
  const status = c.subscriptionStatus ?? "";
  if (status === "canceled" || status === "incomplete_expired") return "churned";
  if (["past_due", "unpaid"].includes(status) || (PAID_STATUSES.has(status) && paymentOutstanding(c)))
    return "past_due";
  if (c.entitled) return "customer";
  return "lead";
}
