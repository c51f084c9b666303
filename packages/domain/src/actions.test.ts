import { randomUUID } from "node:crypto";
import { localDesk, TriageOutput } from "@switchyard/connectors";
import { eq, schema } from "@switchyard/db";
import { type MigratedDatabase, migratedTestDatabase } from "@switchyard/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveReview, type Proposal, proposeAction, rejectReview } from "./actions.ts";
import { payingCustomer } from "./testing/customers.ts";
import { triageMessage } from "./triage.ts";

/** The gateway and the inbox decisions on real Postgres: the policy reads the customer's row as billing-sync left it. */
describe("the action gateway", () => {
  let database: MigratedDatabase;
  beforeAll(async () => {
    database = await migratedTestDatabase("action_gateway");
  });
  afterAll(() => database?.close());
  const db = () => database.handle.db;

  const customer = (over: Partial<typeof schema.customers.$inferInsert> = {}) => payingCustomer(db(), "ch", over);
  const propose = (p: Partial<Proposal> & { customer: string }, key = randomUUID()) =>
    proposeAction(
      db(),
      { type: "refund", params: { amount: 4_900 }, proposedBy: "model", ...p },
      { source: "app", idempotencyKey: key },
    );
  const decided = async (p: Partial<Proposal> & { customer: string }) => {
    const r = await propose(p);
    if (r.kind !== "recorded") throw new Error("conflict");
    return r;
  };

  it("rejects a refund of a payment already refunded, or larger than what was paid, with a reason code", async () => {
    const refunded = await customer({ lastRefundAt: new Date() });
    const a = await decided({ customer: refunded.externalId ?? "" });
    expect(a.action).toMatchObject({ decision: "rejected", decisionCode: "already_refunded", status: "rejected" });
    const paid = await customer();
    const b = await decided({ customer: paid.externalId ?? "", params: { amount: 4_901 } });
    expect(b.action).toMatchObject({ decision: "rejected", decisionCode: "exceeds_amount_paid" });
    const none = await customer({ lastPaymentTransactionId: null, lastPaymentAmount: null, lastPaymentAt: null });
    expect((await decided({ customer: none.id })).action.decisionCode).toBe("no_payment");
    expect((await decided({ customer: "u-nobody" })).action.decisionCode).toBe("unknown_customer");
    expect((await decided({ customer: paid.id, params: { amount: "all" } })).action.decisionCode).toBe(
      "invalid_params",
    );
    const items = await db().select().from(schema.reviewItems);
    expect(items.filter((i) => i.customerId === paid.id || i.customerId === refunded.id)).toEqual([]);
  });

  it("queues a valid refund for a person, once per key; the same key with another body is a conflict", async () => {
    const c = await customer();
    const key = randomUUID();
    const first = await propose({ customer: c.externalId ?? "", reason: "double charge" }, key);
    if (first.kind !== "recorded") throw new Error("conflict");
    expect(first.action).toMatchObject({ decision: "queued_for_review", status: "awaiting_review", customerId: c.id });
    expect(first.execute).toBeUndefined();
    const again = await propose({ customer: c.externalId ?? "", reason: "double charge" }, key);
    expect(again).toMatchObject({ kind: "recorded", duplicate: true, action: { id: first.action.id } });
    expect((await propose({ customer: c.externalId ?? "", params: { amount: 100 } }, key)).kind).toBe("conflict");
    const items = await db().select().from(schema.reviewItems).where(eq(schema.reviewItems.actionId, first.action.id));
    expect(items).toHaveLength(1);
    // A second refund of the same payment, while the first waits, is refused rather than queued twice.
    expect((await decided({ customer: c.id })).action.decisionCode).toBe("refund_pending");
  });

  it("approves once: one execution event however often Approve arrives; edited params pass the policy again", async () => {
    const c = await customer();
    const { action } = await decided({ customer: c.id });
    const [item] = await db().select().from(schema.reviewItems).where(eq(schema.reviewItems.actionId, action.id));
    if (!item) throw new Error("no review item");
    const tooMuch = await approveReview(db(), item.id, { actor: "ops", note: "ok", params: { amount: 9_999 } });
    expect(tooMuch).toMatchObject({ kind: "refused", code: "exceeds_amount_paid" });
    const both = await Promise.all([
      approveReview(db(), item.id, { actor: "ops", note: "customer was charged twice", params: { amount: 2_500 } }),
      approveReview(db(), item.id, { actor: "ops", note: "customer was charged twice", params: { amount: 2_500 } }),
    ]);
    expect(both.map((r) => r.kind)).toEqual(["approved", "approved"]);
    expect(both.map((r) => (r.kind === "approved" ? r.already : undefined)).sort()).toEqual([false, true]);
    const events = await db()
      .select()
      .from(schema.events)
      .where(eq(schema.events.sourceEventId, `action-${action.id}`));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "switchyard.action.execute", queues: ["actions"] });
    const [after] = await db().select().from(schema.actions).where(eq(schema.actions.id, action.id));
    expect(after).toMatchObject({ status: "approved", params: { amount: 2_500 }, executeEventId: events[0]?.id });
    const [closed] = await db().select().from(schema.reviewItems).where(eq(schema.reviewItems.id, item.id));
    expect(closed).toMatchObject({ status: "done", decision: "approved", decidedBy: "ops" });
    const audit = await db().select().from(schema.auditLog).where(eq(schema.auditLog.target, item.id));
    expect(audit.map((a) => [a.actor, a.action])).toEqual([["ops", "review.approve"]]);
    expect(await rejectReview(db(), item.id, { actor: "ops", note: "changed my mind" })).toMatchObject({
      kind: "decided_otherwise",
    });
  });

  it("rejects from the inbox with a note: the action never runs", async () => {
    const c = await customer();
    const { action } = await decided({ customer: c.id, type: "change_plan", params: { plan: "enterprise" } });
    expect(action.decision).toBe("queued_for_review");
    const [item] = await db().select().from(schema.reviewItems).where(eq(schema.reviewItems.actionId, action.id));
    expect(await rejectReview(db(), item?.id ?? "", { actor: "ops", note: "not without a contract" })).toMatchObject({
      kind: "rejected",
      already: false,
    });
    expect(await approveReview(db(), item?.id ?? "", { actor: "ops", note: "ok" })).toMatchObject({
      kind: "decided_otherwise",
    });
    const [after] = await db().select().from(schema.actions).where(eq(schema.actions.id, action.id));
    expect(after).toMatchObject({ status: "dismissed", executeEventId: null });
  });

  it("runs a low-risk action on a ticket of the customer's at once, and refuses one on a ticket it does not know", async () => {
    const c = await customer();
    const other = await customer();
    await db()
      .insert(schema.supportTickets)
      .values([
        { externalId: `t-${c.id}`, customerId: c.id },
        { externalId: `t-${other.id}`, customerId: other.id },
      ]);
    const tag = await decided({ customer: c.id, type: "tag_ticket", params: { ticketId: `t-${c.id}`, tags: ["vip"] } });
    expect(tag.action).toMatchObject({ decision: "executed", status: "approved" });
    expect(tag.execute).toMatchObject({ type: "switchyard.action.execute", status: "received" });
    const unknown = await decided({
      customer: c.id,
      type: "tag_ticket",
      params: { ticketId: "t-nope", tags: ["vip"] },
    });
    expect(unknown.action.decisionCode).toBe("unknown_ticket");
    const foreign = await decided({
      customer: c.id,
      type: "attach_draft",
      params: { ticketId: `t-${other.id}`, body: "hi" },
    });
    expect(foreign.action.decisionCode).toBe("ticket_of_another_customer");
    const hostile = await decided({
      customer: c.id,
      type: "tag_ticket",
      params: { ticketId: `t-${c.id}`, tags: ["<img src=x onerror=alert(1)>"] },
    });
    expect(hostile.action.decisionCode).toBe("invalid_params");
  });
  it("ai-triage proposes through the gateway: a model's refund becomes an inbox item with its action, a malformed one a plain item saying why", async () => {
    const c = await customer();
    const [event] = await db()
      .insert(schema.events)
      .values({ source: "app", sourceEventId: randomUUID(), type: "app.support.requested", payloadHash: "h" })
      .returning();
    const ticket = `t-triage-${c.id}`;
    await db().insert(schema.supportTickets).values({ externalId: ticket, customerId: c.id });
    const model = {
      name: "compromised",
      classify: async () =>
        TriageOutput.parse({
          intent: "how_to",
          urgency: "low",
          sentiment: "positive",
          summary: "ok",
          draftReply: "Thanks!",
          proposedActions: [
            { type: "refund", value: "4900", reason: "admin said so" },
            { type: "change_plan", value: "<script>", reason: "admin said so" },
          ],
        }),
    };
    await triageMessage(
      db(),
      { classifier: model, desk: localDesk(db()) },
      {
        eventId: event?.id ?? "",
        ticketExternalId: ticket,
        customer: c,
        input: { subject: null, message: "refund me" },
      },
    );
    const items = await db()
      .select()
      .from(schema.reviewItems)
      .where(eq(schema.reviewItems.eventId, event?.id ?? ""));
    const refund = items.find((i) => i.kind === "refund");
    expect(refund?.actionId).toBeTruthy();
    expect(refund?.ticketExternalId).toBe(ticket);
    const [action] = await db()
      .select()
      .from(schema.actions)
      .where(eq(schema.actions.id, refund?.actionId ?? ""));
    expect(action).toMatchObject({ source: "ai-triage", decision: "queued_for_review", params: { amount: 4_900 } });
    const plan = items.find((i) => i.kind === "change_plan");
    expect(plan?.actionId).toBeNull();
    expect(plan?.reason).toContain("the gateway refused it: invalid_params");
  });
});
