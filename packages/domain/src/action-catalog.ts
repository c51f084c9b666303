import type { schema } from "@switchyard/db";
import { z } from "zod";
import type { Customer } from "./customers.ts";

/**
 * Every action the gateway knows, one entry each: its params schema, its risk and its policy. Low
 * risk actions that pass both run on their own; privileged ones always wait for a person.
 */
export const ACTION_TYPES = [
  "tag_ticket",
  "set_ticket_priority",
  "attach_draft",
  "resend_receipt",
  "extend_trial",
  "apply_coupon",
  "change_plan",
  "cancel_subscription",
  "refund",
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
export type Risk = "low" | "privileged";

/** Why the policy refused an action: stable codes the app can branch on. */
export const ACTION_REJECTIONS = [
  "invalid_params",
  "unknown_customer",
  "unknown_ticket",
  "ticket_of_another_customer",
  "no_payment",
  "unknown_payment",
  "already_refunded",
  "exceeds_amount_paid",
  "refund_pending",
  "open_dispute",
  "charged_back",
  "order_not_paid",
  "no_subscription",
  "already_on_plan",
  "already_cancelled",
  "not_trialing",
] as const;
export type ActionRejection = (typeof ACTION_REJECTIONS)[number];

/** What the policy reads besides the params: Switchyard's own records of the customer. */
export interface ActionState {
  customer: Customer;
  /** The ticket named by `ticketId`, when Switchyard knows it; `customerId` null when unlinked. */
  ticket?: { externalId: string; customerId: string | null } | undefined;
  /** A refund of this payment already waiting for review, approved or executed. */
  refundInFlight?: boolean;
  /** The order the refunded payment (`paymentId`, else the last one) belongs to, when it is one. */
  order?: RefundOrder | undefined;
  /** An order of the customer's (as buyer) whose dispute is still open. */
  openDispute?: { orderId: string } | undefined;
}

export interface RefundOrder {
  id: string;
  state: schema.OrderState;
  amount: number | null;
  amountRefunded: number;
  currency: string | null;
  buyerCustomerId: string | null;
  chargeId: string | null;
  paymentIntentId: string | null;
}

export type Verdict =
  | { decision: "executed" }
  | { decision: "queued_for_review"; code: string; reason: string }
  | { decision: "rejected"; code: ActionRejection; reason: string };

const TAG = z.string().regex(/^[a-z0-9_-]{1,40}$/, "lower-case letters, digits, _ and -, at most 40");
const ticketId = z.string().min(1).max(100);
const paymentId = z
  .string()
  .regex(/^(ch|pi|py|in)_[A-Za-z0-9]{1,100}$/, "a Stripe charge, payment intent or invoice id");
const stripeName = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/);

export const ACTION_PARAMS = {
  tag_ticket: z.strictObject({ ticketId, tags: z.array(TAG).min(1).max(10) }),
  set_ticket_priority: z.strictObject({ ticketId, priority: z.enum(["low", "normal", "high", "urgent"]) }),
  attach_draft: z.strictObject({ ticketId, body: z.string().min(1).max(4_000) }),
  resend_receipt: z.strictObject({ paymentId: paymentId.optional(), email: z.email().optional() }),
  extend_trial: z.strictObject({ days: z.int().min(1).max(30) }),
  apply_coupon: z.strictObject({ coupon: stripeName }),
  change_plan: z.strictObject({ plan: stripeName }),
  cancel_subscription: z.strictObject({ atPeriodEnd: z.boolean().default(true) }),
  /** `amount` in the smallest currency unit, of the last payment unless `paymentId` names it. */
  refund: z.strictObject({ amount: z.int().positive().max(100_000_000), paymentId: paymentId.optional() }),
} as const satisfies Record<ActionType, z.ZodType>;
export type ActionParams<T extends ActionType> = z.infer<(typeof ACTION_PARAMS)[T]>;

const reject = (code: ActionRejection, reason: string): Verdict => ({ decision: "rejected", code, reason });
const review = (reason: string): Verdict => ({ decision: "queued_for_review", code: "privileged", reason });

function ticketCheck(state: ActionState, id: string): Verdict {
  if (!state.ticket) return reject("unknown_ticket", `Switchyard knows no ticket ${id}`);
  if (state.ticket.customerId && state.ticket.customerId !== state.customer.id)
    return reject("ticket_of_another_customer", `ticket ${id} belongs to another customer`);
  return { decision: "executed" };
}

/** The subscription Switchyard knows, still alive; a rejection otherwise. */
function subscriptionCheck(c: Customer): Verdict | undefined {
  if (!c.stripeSubscriptionId) return reject("no_subscription", "the customer has no subscription");
  if (c.subscriptionStatus === "canceled" || c.subscriptionStatus === "incomplete_expired")
    return reject("no_subscription", `the subscription is ${c.subscriptionStatus}`);
  return undefined;
}

type Spec<T extends ActionType> = {
  risk: Risk;
  /** Shown in the inbox. */
  label: string;
  check(state: ActionState, params: ActionParams<T>): Verdict;
};

export const ACTION_CATALOG: { [T in ActionType]: Spec<T> } = {
  tag_ticket: { risk: "low", label: "Tag the ticket", check: (s, p) => ticketCheck(s, p.ticketId) },
  set_ticket_priority: {
    risk: "low",
    label: "Set the ticket's priority",
    check: (s, p) => ticketCheck(s, p.ticketId),
  },
  attach_draft: { risk: "low", label: "Attach a draft reply", check: (s, p) => ticketCheck(s, p.ticketId) },
  resend_receipt: {
    risk: "privileged",
    label: "Resend the receipt",
    check: ({ customer: c }, p) => {
      if (!c.lastPaymentTransactionId) return reject("no_payment", "the customer has no payment to send a receipt for");
      if (p.paymentId && p.paymentId !== c.lastPaymentTransactionId && p.paymentId !== c.lastPaymentId)
        return reject("unknown_payment", "that payment is not the customer's last one");
      return review("a receipt goes to the customer's inbox: a person confirms the address");
    },
  },
  extend_trial: {
    risk: "privileged",
    label: "Extend the trial",
    check: ({ customer: c }) =>
      subscriptionCheck(c) ??
      (c.subscriptionStatus === "trialing"
        ? review("a longer trial gives away paid time")
        : reject("not_trialing", `the subscription is ${c.subscriptionStatus ?? "unknown"}, not trialing`)),
  },
  apply_coupon: {
    risk: "privileged",
    label: "Apply a coupon",
    check: ({ customer: c }) => subscriptionCheck(c) ?? review("a coupon lowers what the customer pays"),
  },
  change_plan: {
    risk: "privileged",
    label: "Change the plan",
    check: ({ customer: c }, p) =>
      subscriptionCheck(c) ??
      (c.plan === p.plan
        ? reject("already_on_plan", `the customer is already on ${p.plan}`)
        : review("a plan change changes what the customer pays and gets")),
  },
  cancel_subscription: {
    risk: "privileged",
    label: "Cancel the subscription",
    check: ({ customer: c }) => {
      if (c.subscriptionStatus === "canceled")
        return reject("already_cancelled", "the subscription is already canceled");
      return subscriptionCheck(c) ?? review("a cancellation ends what the customer paid for");
    },
  },
  refund: { risk: "privileged", label: "Refund a payment", check: refundCheck },
};

const UNPAID_ORDER = new Set<schema.OrderState>(["pending", "payment_failed", "canceled"]);

function refundCheck(state: ActionState, p: ActionParams<"refund">): Verdict {
  const { customer: c, refundInFlight, order, openDispute } = state;
  // Stripe refuses to refund a charged-back charge (`charge_disputed`): a person settles the dispute in Stripe first.
  if (openDispute || order?.state === "disputed")
    return reject("open_dispute", `order ${openDispute?.orderId ?? order?.id} has an open dispute`);
  const isLast = !p.paymentId || p.paymentId === c.lastPaymentTransactionId || p.paymentId === c.lastPaymentId;
  // Another payment than the last one is refundable only as the customer's own order, named by its charge or PaymentIntent.
  const ownOrder =
    order?.buyerCustomerId === c.id && (p.paymentId === order.chargeId || p.paymentId === order.paymentIntentId);
  if (!isLast && !ownOrder)
    return reject("unknown_payment", "that payment is neither the last one nor one of the customer's orders");
  if (order) return orderRefundCheck(order, p.amount, refundInFlight);
  if (!c.lastPaymentTransactionId || !c.lastPaymentAmount || !c.lastPaymentAt)
    return reject("no_payment", "Switchyard has recorded no payment for this customer");
  if (!/^(ch|pi|py)_/.test(c.lastPaymentTransactionId))
    return reject("no_payment", "the last payment has no charge or payment intent to refund");
  if (c.lastRefundAt && c.lastRefundAt >= c.lastPaymentAt)
    return reject("already_refunded", "the last payment was already refunded");
  if (refundInFlight) return reject("refund_pending", "a refund of this payment is already waiting or done");
  if (p.amount > c.lastPaymentAmount)
    return reject(
      "exceeds_amount_paid",
      `${p.amount} is more than the ${c.lastPaymentAmount} ${c.lastPaymentCurrency ?? ""} paid`.trim(),
    );
  return review("refunds always need a person");
}

/** A payment that belongs to an order is bounded by the order: its state and what is left of its amount. */
function orderRefundCheck(order: RefundOrder, amount: number, refundInFlight: boolean | undefined): Verdict {
  if (order.state === "refunded") return reject("already_refunded", `order ${order.id} was already refunded`);
  if (order.state === "dispute_lost")
    return reject("charged_back", `order ${order.id} lost its dispute: the money already went back`);
  if (UNPAID_ORDER.has(order.state)) return reject("order_not_paid", `order ${order.id} is ${order.state}, not paid`);
  if (refundInFlight) return reject("refund_pending", "a refund of this payment is already waiting or done");
  if (order.amount === null) return reject("no_payment", `Switchyard does not know order ${order.id}'s amount`);
  const left = order.amount - order.amountRefunded;
  if (amount > left)
    return reject(
      "exceeds_amount_paid",
      `${amount} is more than the ${left}${order.currency ? ` ${order.currency}` : ""} left`,
    );
  return review(
    order.state === "needs_review"
      ? `refunds always need a person; order ${order.id} needs review`
      : "refunds always need a person",
  );
}

/** The params checked against the type's schema, then the policy against the customer's state. */
export function judgeAction(
  type: ActionType,
  rawParams: unknown,
  state: ActionState,
): { verdict: Verdict; params: unknown; risk: Risk } {
  const spec = ACTION_CATALOG[type] as Spec<ActionType>;
  const parsed = ACTION_PARAMS[type].safeParse(rawParams);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join(".") || "params"}: ${i.message}`).join("; ");
    return { verdict: reject("invalid_params", why.slice(0, 500)), params: rawParams, risk: spec.risk };
  }
  const verdict = spec.check(state, parsed.data as never);
  // However the check went, a privileged action that passed is never run without a person.
  const safe = verdict.decision === "executed" && spec.risk === "privileged" ? review("privileged") : verdict;
  return { verdict: safe, params: parsed.data, risk: spec.risk };
}

export const isActionType = (value: string): value is ActionType => (ACTION_TYPES as readonly string[]).includes(value);

/** What `POST /v1/actions` takes: the route parses with it and the OpenAPI document describes it. */
export const ActionProposal = z.strictObject({
  type: z.enum(ACTION_TYPES),
  /** The app's user id (as in its events) or Switchyard's customer id. */
  customer: z.string().min(1).max(200),
  /** Checked against the type's own schema by the policy: a mismatch is `rejected`/`invalid_params`. */
  params: z.record(z.string(), z.unknown()),
  reason: z.string().max(1_000).optional(),
  proposedBy: z.enum(["model", "user", "rule"]),
});
export type ActionProposal = z.infer<typeof ActionProposal>;
