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

/** The stage billing facts alone give, whatever an operator has decided. */
export function billingStage(c: BillingView): LifecycleStage {
  const status = c.subscriptionStatus ?? "";
  if (status === "canceled" || status === "incomplete_expired") return "churned";
  if (["past_due", "unpaid"].includes(status) || (PAID_STATUSES.has(status) && paymentOutstanding(c)))
    return "past_due";
  if (isEntitled({ ...c, statusOverride: null })) return "customer";
  return "lead";
}

/**
 * The stage every system is told (CRM included). An operator's override decides it as it decides
 * entitlement: entitled is a customer whatever billing says; not entitled keeps billing's stage,
 * except that one billing calls a customer has lost access, so is churned. Cleared, billing's
 * stage is back.
 *
 * A lead with a paid order (buyerStats' paidOrders: orders Stripe said were paid, whatever came
 * after: fulfilled, refunded in part or in full, disputed, won or lost) is a customer, so every
 * crm-sync job, not only the order's, tells the CRM the same stage and none moves it back.
 * A fully refunded order still counts: paidAt is never cleared, the contact's order count is the
 * same figure, and a buyer who once paid is not a prospect again. A subscription's past_due or
 * churned stage is still billing's.
 * Callers that leave paidOrders out get billing's view alone (overrides' and billing's lines).
 */
export function lifecycleStage(c: BillingView & { paidOrders?: number | undefined }): LifecycleStage {
  if (c.statusOverride === "entitled") return "customer";
  const billing = billingStage(c);
  if (c.statusOverride === "not_entitled" && billing === "customer") return "churned";
  return billing === "lead" && (c.paidOrders ?? 0) > 0 ? "customer" : billing;
}
