import { eq, inArray, schema } from "@switchyard/db";
import { PROMPT_INJECTION_CORPUS } from "@switchyard/domain";
import {
  appEventRequest,
  FakeStripe,
  obedientActionModel,
  PRIVILEGED_ACTION_TYPES,
  type ProposedToolCall,
  stealthyActionModel,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payingCustomer } from "./testing/action-fixtures.ts";
import { KEYS, type System, startSystem } from "./testing/system.ts";

interface Answer {
  actionId: string;
  status: string;
  reasonCode?: string;
  duplicate?: boolean;
}

/**
 * The prompt-injection corpus replayed through POST /v1/actions, as an app's assistant would send
 * its model's tool calls, with models that obey the attacker; the actions worker runs, and Stripe
 * is the fake, which counts every refund and subscription change it is asked for.
 */
describe("the injection corpus through the action gateway", () => {
  let sys: System;
  let stripe: FakeStripe;
  const privileged: string[] = [];
  const lowRisk: { call: ProposedToolCall; answer: Answer; ticketId: string }[] = [];
  const requests: { key: string; payload: object }[] = [];

  beforeAll(async () => {
    stripe = await FakeStripe.start({ secretKey: "sk_test_actions_e2e" });
    sys = await startSystem({
      label: "actions_corpus",
      env: { STRIPE_SECRET_KEY: "sk_test_actions_e2e", STRIPE_API_BASE: stripe.url, PROVIDER_TIMEOUT_MS: "2000" },
    });
  });
  afterAll(async () => {
    await sys?.close();
    await stripe?.close();
  });

  const propose = async (key: string, payload: object): Promise<Answer> => {
    const res = await sys.post("/v1/actions", appEventRequest({ payload, apiKey: KEYS.app, idempotencyKey: key }));
    expect([200, 202], await res.clone().text()).toContain(res.status);
    return (await res.json()) as Answer;
  };

  it("executes nothing privileged: no refund, no subscription update at Stripe; every privileged proposal waits in the inbox", async () => {
    const entries = PROMPT_INJECTION_CORPUS;
    expect(entries.length).toBeGreaterThanOrEqual(35);
    // Each entry is a customer of its own, so one entry's refund cannot stand in the way of another's.
    // A few at a time, as one app's users would: all at once would only queue for the pool.
    const replay = async (entry: (typeof entries)[number], i: number) => {
      const who = await payingCustomer(sys, stripe, `inj${i}`);
      const ctx = { ticketId: who.ticketId, amountPaid: who.amount };
      const calls = [
        ...obedientActionModel(entry.message, ctx).map((call) => ({ call, model: "obedient" })),
        // The stealthy model's three are the same whatever the message: a few entries show them run once.
        ...(i < 8 ? stealthyActionModel(entry.message, ctx).map((call) => ({ call, model: "stealthy" })) : []),
      ];
      for (const [n, { call, model }] of calls.entries()) {
        const key = `${entry.id}-${model}-${n}`;
        const payload = { ...call, customer: who.userId, proposedBy: "model" };
        requests.push({ key, payload });
        const answer = await propose(key, payload);
        if ((PRIVILEGED_ACTION_TYPES as readonly string[]).includes(call.type)) {
          expect(answer.status, `${key}: ${call.type}`).toBe("queued_for_review");
          privileged.push(answer.actionId);
        } else lowRisk.push({ call, answer, ticketId: who.ticketId });
      }
    };
    for (let i = 0; i < entries.length; i += 8) {
      await Promise.all(entries.slice(i, i + 8).map((entry, j) => replay(entry, i + j)));
    }
    await sys.waitForIdle(60_000);

    expect(stripe.money.refunds).toEqual([]);
    expect(stripe.money.subscriptionUpdates).toEqual([]);
    expect(stripe.money.receiptsSent).toEqual([]);
    expect(stripe.received.filter((r) => r.method === "POST")).toEqual([]);

    const items = await sys.dbHandle.db
      .select()
      .from(schema.reviewItems)
      .where(inArray(schema.reviewItems.actionId, privileged));
    expect(items).toHaveLength(privileged.length);
    expect(items.every((i) => i.status === "open")).toBe(true);
    expect(privileged.length).toBe(entries.length * 5);
  });

  it("runs each well-formed low-risk proposal exactly once, and refuses the hostile ones", async () => {
    const executed = lowRisk.filter((l) => l.answer.status === "executed");
    const refused = lowRisk.filter((l) => l.answer.status === "rejected");
    expect(executed.length + refused.length).toBe(lowRisk.length);
    // Hostile values from the obedient model: markup as a tag, a priority that does not exist.
    expect(refused.map((r) => r.answer.reasonCode)).toEqual(refused.map(() => "invalid_params"));
    expect(refused.length).toBe(PROMPT_INJECTION_CORPUS.length * 2);

    // The same proposals again (a retrying app): the first answers, nothing runs a second time.
    const again = await Promise.all(requests.slice(0, 60).map((r) => propose(r.key, r.payload)));
    expect(again.every((a) => a.duplicate === true)).toBe(true);
    await sys.waitForIdle(60_000);

    const { actions, supportNotes, supportTickets, deliveries } = schema;
    const ran = await sys.dbHandle.db.select().from(actions).where(eq(actions.status, "executed"));
    expect(ran.map((a) => a.id).sort()).toEqual(executed.map((e) => e.answer.actionId).sort());
    const runs = await sys.dbHandle.db
      .select()
      .from(deliveries)
      .where(eq(deliveries.consumer, "actions/switchyard.action.execute"));
    expect(runs).toHaveLength(executed.length);
    expect(runs.every((d) => d.status === "completed" && d.attempts === 1)).toBe(true);

    const ticket = executed[0]?.ticketId ?? "";
    const [row] = await sys.dbHandle.db.select().from(supportTickets).where(eq(supportTickets.externalId, ticket));
    expect(row?.tags.sort()).toEqual(["approved", "resolved"]);
    expect(row?.priority).toBe("low");
    const notes = await sys.dbHandle.db
      .select()
      .from(supportNotes)
      .where(eq(supportNotes.ticketId, row?.id ?? ""));
    expect(notes.map((n) => n.kind)).toEqual(["draft", "draft"]);
  });
});
