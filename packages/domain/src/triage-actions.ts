import type { ProposedAction } from "@switchyard/connectors";
import type { Db } from "@switchyard/db";
import type { ActionType } from "./action-catalog.ts";
import { proposeAction } from "./actions.ts";
import type { Customer } from "./customers.ts";

/** The classifier's privileged proposals that name an action the gateway knows. */
const GATEWAY_TYPE: Partial<Record<ProposedAction["type"], ActionType>> = {
  refund: "refund",
  change_plan: "change_plan",
  cancel_subscription: "cancel_subscription",
};

function paramsOf(type: ActionType, value: string | undefined): Record<string, unknown> {
  if (type === "refund") return value && /^\d{1,9}$/.test(value) ? { amount: Number(value) } : {};
  if (type === "change_plan") return value ? { plan: value } : {};
  return {};
}

/**
 * ai-triage's privileged proposals go through the action gateway like any app's: each is recorded
 * once per (event, type), checked against the customer's state and, when it passes, queued in the
 * inbox as an action a person can approve. What the gateway refused (no customer, bad params, a
 * payment already refunded) is returned by kind, so triage's own review item says why.
 */
export async function proposeThroughGateway(
  db: Db,
  run: { eventId: string; ticketExternalId: string; customer: Customer | undefined },
  proposals: readonly ProposedAction[],
): Promise<Map<string, string>> {
  const refused = new Map<string, string>();
  for (const proposal of proposals) {
    const type = GATEWAY_TYPE[proposal.type];
    if (!type) continue;
    if (!run.customer) {
      refused.set(proposal.type, "no customer is linked to the ticket");
      continue;
    }
    const result = await proposeAction(
      db,
      {
        type,
        customer: run.customer.id,
        params: paramsOf(type, proposal.value),
        reason: proposal.reason,
        proposedBy: "model",
      },
      {
        source: "ai-triage",
        idempotencyKey: `${run.eventId}-${type}`,
        eventId: run.eventId,
        ticketExternalId: run.ticketExternalId,
      },
    );
    if (result.kind === "recorded" && result.action.decision === "rejected")
      refused.set(proposal.type, `the gateway refused it: ${result.action.decisionCode}`);
  }
  return refused;
}
