import type { Customer } from "./customers.ts";
import type { TimelineEntry } from "./timeline.ts";

/** What applying billing facts did: whether the CRM and the customer's state moved. */
export interface BillingOutcome {
  customerId: string;
  /** Lifecycle stage or plan moved: the CRM must hear about it. */
  crmRelevant: boolean;
  stateChanged: boolean;
}

export interface BillingChange {
  merged: Customer;
  outcome: BillingOutcome;
  /** The event's timeline line, and the state change's when there is one. */
  lines: TimelineEntry[];
}
