import { createHash } from "node:crypto";
import { and, type Db, type EventRow, eq, gte, inArray, or, recordEvent, schema, writeAudit } from "@switchyard/db";
import { ACTION_CATALOG, type ActionState, type ActionType, judgeAction, type Verdict } from "./action-catalog.ts";
import { isUuid } from "./action-ids.ts";
import type { Customer } from "./customers.ts";

export type ActionRow = typeof schema.actions.$inferSelect;

/** What the app (or ai-triage) proposes: `customer` is the app's user id or Switchyard's customer id. */
export interface Proposal {
  type: ActionType;
  customer: string;
  params: unknown;
  reason?: string | undefined;
  proposedBy: "model" | "user" | "rule";
}

export interface ProposalContext {
  /** `app` for POST /v1/actions, or the worker that proposes (`ai-triage`). */
  source: string;
  idempotencyKey: string;
  /** The event that led to the proposal (a support message), when there is one. */
  eventId?: string | undefined;
  /** The ticket the proposal came from, shown in the inbox when the params name none. */
  ticketExternalId?: string | undefined;
}

export type ProposeResult =
  | { kind: "recorded"; action: ActionRow; duplicate: boolean; execute?: EventRow | undefined }
  | { kind: "conflict"; action: ActionRow };

export const EXECUTE_EVENT_TYPE = "switchyard.action.execute";

const hashOf = (p: Proposal) =>
  createHash("sha256")
    .update(JSON.stringify([p.type, p.customer, p.params, p.reason ?? null, p.proposedBy]))
    .digest("hex");

async function findTarget(tx: Db, ref: string): Promise<Customer | undefined> {
  const { customers } = schema;
  const where = isUuid(ref) ? or(eq(customers.id, ref), eq(customers.externalId, ref)) : eq(customers.externalId, ref);
  const [row] = await tx.select().from(customers).where(where).for("update");
  return row;
}

/** What the policy reads for this proposal, beyond the customer row. */
async function stateFor(tx: Db, customer: Customer, type: ActionType, params: unknown, exceptAction?: string) {
  const state: ActionState = { customer };
  const ticketId = (params as { ticketId?: unknown } | null)?.ticketId;
  if (typeof ticketId === "string") {
    const { supportTickets, triageResults } = schema;
    const [local] = await tx
      .select({ customerId: supportTickets.customerId })
      .from(supportTickets)
      .where(eq(supportTickets.externalId, ticketId));
    const [triaged] = local
      ? []
      : await tx
          .select({ customerId: triageResults.customerId })
          .from(triageResults)
          .where(eq(triageResults.ticketExternalId, ticketId))
          .limit(1);
    const known = local ?? triaged;
    if (known) state.ticket = { externalId: ticketId, customerId: known.customerId };
  }
  if (type === "refund") {
    const { order, openDispute } = await refundOrderState(tx, customer, params);
    state.order = order;
    state.openDispute = openDispute;
    state.refundInFlight = await refundInFlight(tx, customer, order, exceptAction);
  }
  return state;
}

/**
 * Another refund that may still move the money: one waiting or approved, or one run after what
 * Switchyard last heard of the payment (its order's last fact, else the payment itself), which
 * its recorded refunds do not count yet.
 */
async function refundInFlight(tx: Db, customer: Customer, order: { updatedAt: Date } | undefined, except?: string) {
  const since = order?.updatedAt ?? customer.lastPaymentAt;
  if (!since) return false;
  const { actions } = schema;
  const waiting = inArray(actions.status, ["awaiting_review", "approved"]);
  const ran = and(eq(actions.status, "executed"), gte(actions.updatedAt, since));
  const earlier = await tx
    .select({ id: actions.id })
    .from(actions)
    .where(
      and(
        eq(actions.customerId, customer.id),
        eq(actions.type, "refund"),
        order
          ? or(waiting, ran)
          : and(inArray(actions.status, ["awaiting_review", "approved", "executed"]), gte(actions.createdAt, since)),
      ),
    );
  return earlier.some((a) => a.id !== except);
}

/** The order the refunded payment belongs to, and any order of the customer's still disputed. */
async function refundOrderState(tx: Db, customer: Customer, params: unknown) {
  const { orders } = schema;
  const named = (params as { paymentId?: unknown } | null)?.paymentId;
  // An invoice id stands for the last payment's charge, as the run (action-run.ts) reads it.
  const paymentId = typeof named === "string" && !named.startsWith("in_") ? named : customer.lastPaymentTransactionId;
  const [order] = paymentId
    ? await tx
        .select()
        .from(orders)
        .where(or(eq(orders.chargeId, paymentId), eq(orders.paymentIntentId, paymentId)))
        .limit(1)
    : [];
  const [disputed] = await tx
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.buyerCustomerId, customer.id), eq(orders.state, "disputed")))
    .limit(1);
  return { order, openDispute: disputed ? { orderId: disputed.id } : undefined };
}

/** The event that carries one action's run on the actions queue: recorded once per action. */
async function recordExecution(tx: Db, actionId: string): Promise<EventRow> {
  const { event } = await recordEvent(tx, {
    source: "switchyard",
    sourceEventId: `action-${actionId}`,
    type: EXECUTE_EVENT_TYPE,
    payloadHash: actionId,
    payload: { actionId },
    status: "received",
    queues: ["actions"],
    receivedAt: new Date(),
  });
  await tx
    .update(schema.actions)
    .set({ executeEventId: event.id, updatedAt: new Date() })
    .where(eq(schema.actions.id, actionId));
  return event;
}

function statusOf(v: Verdict) {
  return v.decision === "executed" ? "approved" : v.decision === "rejected" ? "rejected" : "awaiting_review";
}

/**
 * The gateway: records the proposal once per (source, Idempotency-Key), checks it against the
 * type's schema and the customer's state, and answers `executed` (low risk: its run is recorded
 * for the actions queue in the same transaction), `queued_for_review` (an inbox item) or
 * `rejected` with a reason code. The caller dispatches `execute` once the transaction is in.
 */
export async function proposeAction(db: Db, proposal: Proposal, ctx: ProposalContext): Promise<ProposeResult> {
  const payloadHash = hashOf(proposal);
  return db.transaction(async (txRaw) => {
    const tx = txRaw as unknown as Db;
    const { actions } = schema;
    const [existing] = await tx
      .select()
      .from(actions)
      .where(and(eq(actions.source, ctx.source), eq(actions.idempotencyKey, ctx.idempotencyKey)));
    if (existing) return replay(tx, existing, payloadHash);
    const customer = await findTarget(tx, proposal.customer);
    const judged = customer
      ? judgeAction(proposal.type, proposal.params, await stateFor(tx, customer, proposal.type, proposal.params))
      : {
          verdict: {
            decision: "rejected",
            code: "unknown_customer",
            reason: "Switchyard knows no such customer",
          } as const,
          params: proposal.params,
          risk: ACTION_CATALOG[proposal.type].risk,
        };
    const { verdict } = judged;
    const [action] = await tx
      .insert(actions)
      .values({
        source: ctx.source,
        idempotencyKey: ctx.idempotencyKey,
        payloadHash,
        type: proposal.type,
        customerRef: proposal.customer.slice(0, 200),
        customerId: customer?.id ?? null,
        params: judged.params ?? null,
        reason: proposal.reason?.slice(0, 1_000) ?? null,
        proposedBy: proposal.proposedBy,
        risk: judged.risk,
        decision: verdict.decision,
        decisionCode: verdict.decision === "executed" ? null : verdict.code,
        decisionReason: verdict.decision === "executed" ? null : verdict.reason,
        status: statusOf(verdict),
      })
      .onConflictDoNothing()
      .returning();
    if (!action) {
      // A concurrent request with the same key won the insert: answer what it recorded.
      const [winner] = await tx
        .select()
        .from(actions)
        .where(and(eq(actions.source, ctx.source), eq(actions.idempotencyKey, ctx.idempotencyKey)));
      if (!winner) throw new Error("action vanished after a conflicting insert");
      return replay(tx, winner, payloadHash);
    }
    if (verdict.decision === "queued_for_review") {
      const ticketId = (judged.params as { ticketId?: unknown } | null)?.ticketId;
      await tx.insert(schema.reviewItems).values({
        eventId: ctx.eventId ?? null,
        customerId: customer?.id ?? null,
        ticketExternalId: typeof ticketId === "string" ? ticketId : (ctx.ticketExternalId ?? null),
        kind: proposal.type,
        reason: verdict.reason,
        actionId: action.id,
      });
    }
    const execute = verdict.decision === "executed" ? await recordExecution(tx, action.id) : undefined;
    return { kind: "recorded", action: { ...action, executeEventId: execute?.id ?? null }, duplicate: false, execute };
  });
}

async function replay(tx: Db, action: ActionRow, payloadHash: string): Promise<ProposeResult> {
  if (action.payloadHash !== payloadHash) return { kind: "conflict", action };
  const [execute] = action.executeEventId
    ? await tx.select().from(schema.events).where(eq(schema.events.id, action.executeEventId))
    : [];
  return { kind: "recorded", action, duplicate: true, execute };
}

/** Who decides, for the inbox and the audit log. */
export interface Decider {
  actor: string;
  note: string;
}

export type DecisionResult =
  | { kind: "approved"; action?: ActionRow | undefined; execute?: EventRow | undefined; already: boolean }
  | { kind: "rejected"; already: boolean }
  | { kind: "refused"; code: string; reason: string }
  | { kind: "decided_otherwise"; decision: string | null }
  | { kind: "not_found" };

/**
 * A person's approval, once: the item moves open → done in one guarded step, the action's params
 * (edited ones too) pass the schema and the policy again, its run is recorded and the decision
 * audited with the approver's name. A second approval answers `already` and records nothing.
 */
export async function approveReview(
  db: Db,
  reviewId: string,
  by: Decider & { params?: unknown },
): Promise<DecisionResult> {
  if (!isUuid(reviewId)) return { kind: "not_found" };
  return db.transaction(async (txRaw) => {
    const tx = txRaw as unknown as Db;
    const { reviewItems, actions } = schema;
    const [item] = await tx.select().from(reviewItems).where(eq(reviewItems.id, reviewId)).for("update");
    if (!item) return { kind: "not_found" };
    const [action] = item.actionId ? await tx.select().from(actions).where(eq(actions.id, item.actionId)) : [];
    if (item.status !== "open") {
      if (item.decision !== "approved") return { kind: "decided_otherwise", decision: item.decision };
      const [execute] = action?.executeEventId
        ? await tx.select().from(schema.events).where(eq(schema.events.id, action.executeEventId))
        : [];
      return { kind: "approved", action, execute, already: true };
    }
    let execute: EventRow | undefined;
    let approved = action;
    if (action) {
      const customer = action.customerId ? await findTarget(tx, action.customerId) : undefined;
      if (!customer) return { kind: "refused", code: "unknown_customer", reason: "the customer no longer exists" };
      const params = by.params ?? action.params;
      const state = await stateFor(tx, customer, action.type as ActionType, params, action.id);
      const { verdict, params: checked } = judgeAction(action.type as ActionType, params, state);
      if (verdict.decision === "rejected") return { kind: "refused", code: verdict.code, reason: verdict.reason };
      [approved] = await tx
        .update(actions)
        .set({ status: "approved", params: checked ?? null, updatedAt: new Date() })
        .where(and(eq(actions.id, action.id), eq(actions.status, "awaiting_review")))
        .returning();
      if (!approved) return { kind: "decided_otherwise", decision: action.status };
      execute = await recordExecution(tx, action.id);
    }
    await closeReview(tx, item, "approved", by, {
      actionId: action?.id ?? null,
      edited: by.params !== undefined,
      params: approved?.params,
    });
    return { kind: "approved", action: approved, execute, already: false };
  });
}

/** A person's decision on a review item: the item closed with who and why, and audited once. */
async function closeReview(
  tx: Db,
  item: { id: string; kind: string },
  decision: "approved" | "rejected",
  by: Decider,
  details: Record<string, unknown>,
): Promise<void> {
  const now = new Date();
  await tx
    .update(schema.reviewItems)
    .set({
      status: decision === "approved" ? "done" : "dismissed",
      decision,
      decidedBy: by.actor,
      decidedAt: now,
      note: by.note,
      updatedAt: now,
    })
    .where(eq(schema.reviewItems.id, item.id));
  await writeAudit(tx, {
    actor: by.actor,
    action: decision === "approved" ? "review.approve" : "review.reject",
    target: item.id,
    reason: by.note,
    details: { kind: item.kind, ...details },
  });
}

/** A person's rejection, once, with a note: the item is closed and its action never runs. */
export async function rejectReview(db: Db, reviewId: string, by: Decider): Promise<DecisionResult> {
  if (!isUuid(reviewId)) return { kind: "not_found" };
  return db.transaction(async (txRaw) => {
    const tx = txRaw as unknown as Db;
    const { reviewItems, actions } = schema;
    const [item] = await tx.select().from(reviewItems).where(eq(reviewItems.id, reviewId)).for("update");
    if (!item) return { kind: "not_found" };
    if (item.status !== "open")
      return item.decision === "rejected" || item.status === "dismissed"
        ? { kind: "rejected", already: true }
        : { kind: "decided_otherwise", decision: item.decision };
    if (item.actionId) {
      await tx
        .update(actions)
        .set({ status: "dismissed", updatedAt: new Date() })
        .where(and(eq(actions.id, item.actionId), eq(actions.status, "awaiting_review")));
    }
    await closeReview(tx, item, "rejected", by, { actionId: item.actionId });
    return { kind: "rejected", already: false };
  });
}
