import type { BillingActions, SupportAdapter } from "@switchyard/connectors";
import { type Db, eq, schema } from "@switchyard/db";
import { PermanentError } from "@switchyard/events";
import type { ActionParams, ActionType } from "./action-catalog.ts";
import type { ActionRow } from "./actions.ts";
import { addTimeline } from "./timeline.ts";

export interface ActionConnectors {
  desk: SupportAdapter;
  billing: BillingActions;
}

/** Stripe keeps an idempotency key 24 hours at least; the action id makes one key per action, whatever retries. */
export const actionIdempotencyKey = (actionId: string) => `action-${actionId}`;

type Customer = typeof schema.customers.$inferSelect;

async function perform(
  action: ActionRow,
  customer: Customer | undefined,
  c: ActionConnectors,
  call: { idempotencyKey: string; signal?: AbortSignal },
): Promise<Record<string, unknown>> {
  const type = action.type as ActionType;
  const p = action.params as ActionParams<ActionType>;
  const need = <T>(value: T | null | undefined, what: string): T => {
    if (value === null || value === undefined)
      throw new PermanentError("invalid_payload", `the customer has no ${what}`);
    return value;
  };
  switch (type) {
    case "tag_ticket": {
      const { ticketId, tags } = p as ActionParams<"tag_ticket">;
      await c.desk.updateTicket(ticketId, { addTags: tags }, call);
      return { ticketId, tags };
    }
    case "set_ticket_priority": {
      const { ticketId, priority } = p as ActionParams<"set_ticket_priority">;
      await c.desk.updateTicket(ticketId, { priority }, call);
      return { ticketId, priority };
    }
    case "attach_draft": {
      const { ticketId, body } = p as ActionParams<"attach_draft">;
      const note = await c.desk.addInternalNote(ticketId, { kind: "draft", body }, call);
      return { ticketId, noteId: note.noteId };
    }
    case "refund": {
      const { amount, paymentId } = p as ActionParams<"refund">;
      const transactionId =
        paymentId?.startsWith("in_") || !paymentId ? need(customer?.lastPaymentTransactionId, "payment") : paymentId;
      return c.billing.refund({ transactionId, amount }, call);
    }
    case "resend_receipt": {
      const { email } = p as ActionParams<"resend_receipt">;
      const to = email ?? need(customer?.email, "email");
      await c.billing.resendReceipt(need(customer?.lastPaymentTransactionId, "payment"), to, call);
      return { sentTo: to };
    }
    case "change_plan":
    case "cancel_subscription":
    case "extend_trial":
    case "apply_coupon": {
      const sub = need(customer?.stripeSubscriptionId, "subscription");
      const change =
        type === "change_plan"
          ? { plan: (p as ActionParams<"change_plan">).plan }
          : type === "cancel_subscription"
            ? { cancelAtPeriodEnd: (p as ActionParams<"cancel_subscription">).atPeriodEnd }
            : type === "extend_trial"
              ? { extendTrialDays: (p as ActionParams<"extend_trial">).days }
              : { coupon: (p as ActionParams<"apply_coupon">).coupon };
      return { subscriptionId: sub, ...(await c.billing.changeSubscription(sub, change, call)) };
    }
  }
}

/**
 * Runs one approved action through its connector under the key derived from its id, then marks
 * it executed. An action already executed answers its result again; one not approved (rejected,
 * dismissed, still awaiting a person) is never run.
 */
export async function runAction(
  db: Db,
  connectors: ActionConnectors,
  actionId: string,
  opts: { signal?: AbortSignal } = {},
): Promise<{ status: string; result?: unknown }> {
  const { actions, customers } = schema;
  const [action] = await db.select().from(actions).where(eq(actions.id, actionId));
  if (!action) throw new PermanentError("invalid_payload", `no action ${actionId}`);
  if (action.status === "executed") return { status: "executed", result: action.result };
  if (action.status !== "approved")
    throw new PermanentError("needs_human_review", `action ${actionId} is ${action.status}, not approved`);
  const [customer] = action.customerId
    ? await db.select().from(customers).where(eq(customers.id, action.customerId))
    : [];
  const call = { idempotencyKey: actionIdempotencyKey(action.id), ...(opts.signal ? { signal: opts.signal } : {}) };
  const result = await perform(action, customer, connectors, call);
  await db
    .update(actions)
    .set({ status: "executed", result, executedAt: new Date(), updatedAt: new Date() })
    .where(eq(actions.id, action.id));
  if (customer) {
    await addTimeline(db, {
      customerId: customer.id,
      kind: "review",
      summary: `action ${action.type} executed (${action.proposedBy === "model" ? "proposed by a model" : `proposed by ${action.proposedBy}`})`,
      details: { actionId: action.id, result },
      dedupeKey: `action:${action.id}`,
    });
  }
  return { status: "executed", result };
}
