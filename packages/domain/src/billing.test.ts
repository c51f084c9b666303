import { CheckoutSessionCompleted, InvoiceEvent, SubscriptionEvent } from "@switchyard/events";
import { checkoutCompleted, invoicePaid, invoicePaymentFailed, subscriptionUpdated } from "@switchyard/testkit";
import { describe, expect, it } from "vitest";
import { mergeFacts } from "./billing.ts";
import { type BillingFacts, checkoutFacts, invoiceFacts, subscriptionFacts } from "./billing-facts.ts";
import { type Customer, newCustomer } from "./customers.ts";
import { billingStage, isEntitled, lifecycleStage } from "./lifecycle.ts";

const T = 1_800_000_000;
const blank = (): Customer => newCustomer({ stripeCustomerId: "cus_1" }, "c", new Date(0));

function applyAll(facts: BillingFacts[]) {
  let c = blank();
  for (const f of facts) {
    c = { ...c, ...mergeFacts(c, f) };
    c.entitled = isEntitled(c);
  }
  return c;
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

const checkout = (created: number) =>
  checkoutFacts(CheckoutSessionCompleted.parse(checkoutCompleted({ customer: "cus_1", plan: "pro", created })));
const paid = (created: number, charge: string, plan = "pro") =>
  invoiceFacts(InvoiceEvent.parse(invoicePaid({ customer: "cus_1", created, charge, plan })));
const failed = (created: number) =>
  invoiceFacts(InvoiceEvent.parse(invoicePaymentFailed({ customer: "cus_1", created })));
const sub = (created: number, status: string, plan = "pro", type?: string) =>
  subscriptionFacts(
    SubscriptionEvent.parse(
      subscriptionUpdated({ customer: "cus_1", created, status, plan, ...(type ? { type } : {}) }),
    ),
  );

describe("billing merge", () => {
  it.each([
    [
      "checkout, failure, recovery",
      [checkout(T), failed(T + 10), paid(T + 20, "ch_a")],
      { subscriptionStatus: "active", entitled: true },
    ],
    [
      "recovery, then a stale failure",
      [checkout(T), paid(T + 20, "ch_a"), failed(T + 10)],
      { subscriptionStatus: "active", entitled: true },
    ],
    [
      "a failure after the last payment",
      [checkout(T), paid(T + 10, "ch_a"), failed(T + 20)],
      { subscriptionStatus: "past_due", entitled: false },
    ],
    [
      "an upgrade, then cancellation",
      [
        checkout(T),
        paid(T + 1, "ch_a"),
        sub(T + 30, "active", "team"),
        sub(T + 40, "canceled", "team", "customer.subscription.deleted"),
      ],
      { subscriptionStatus: "canceled", entitled: false, plan: "team" },
    ],
    // Same second: the less privileged status wins the tie, whatever the arrival order.
    [
      "a payment and a failure in the same second",
      [checkout(T), paid(T + 10, "ch_a"), failed(T + 10)],
      { subscriptionStatus: "past_due", entitled: false },
    ],
  ])("%s ends in the same state in every order", (_label, facts, expected) => {
    const outcomes = permutations(facts).map(applyAll);
    const [first] = outcomes;
    for (const o of outcomes) expect(o).toEqual(first);
    expect(first).toMatchObject(expected);
  });

  it("never grants access on a failed payment alone", () => {
    const c = applyAll([failed(T)]);
    expect(c.entitled).toBe(false);
    expect(lifecycleStage(c)).toBe("past_due");
  });

  it("keeps the newest payment and its transaction id", () => {
    const c = applyAll([paid(T + 50, "ch_new"), paid(T + 10, "ch_old")]);
    expect(c).toMatchObject({ lastPaymentTransactionId: "ch_new", lastPaymentAt: new Date((T + 50) * 1000) });
  });

  it("derives the CRM lifecycle stage from billing state", () => {
    expect(lifecycleStage(blank())).toBe("lead");
    expect(lifecycleStage(applyAll([checkout(T), paid(T + 1, "c")]))).toBe("customer");
    expect(lifecycleStage(applyAll([checkout(T), paid(T + 1, "c"), failed(T + 2)]))).toBe("past_due");
    expect(lifecycleStage(applyAll([checkout(T), sub(T + 5, "canceled")]))).toBe("churned");
  });

  it("lets an operator override win over billing facts", () => {
    const c = { ...applyAll([failed(T)]), statusOverride: "entitled" };
    expect(isEntitled(c)).toBe(true);
  });

  it("derives the stage from the override too: entitled is a customer, not entitled keeps billing's stage or churns", () => {
    const pastDue = applyAll([checkout(T), paid(T + 1, "c"), failed(T + 2)]);
    const paying = applyAll([checkout(T), paid(T + 1, "c")]);
    const canceled = applyAll([checkout(T), sub(T + 5, "canceled")]);
    const stage = (c: ReturnType<typeof blank>, statusOverride: string | null) =>
      lifecycleStage({ ...c, statusOverride });
    expect([pastDue, paying, canceled, blank()].map((c) => stage(c, "entitled"))).toEqual([
      "customer",
      "customer",
      "customer",
      "customer",
    ]);
    expect([pastDue, paying, canceled, blank()].map((c) => stage(c, "not_entitled"))).toEqual([
      "past_due",
      "churned",
      "churned",
      "lead",
    ]);
    // Cleared, billing's own stage is back, and billingStage never looks at the override.
    expect([pastDue, paying, canceled, blank()].map((c) => stage(c, null))).toEqual([
      "past_due",
      "customer",
      "churned",
      "lead",
    ]);
    expect(billingStage({ ...pastDue, statusOverride: "entitled" })).toBe("past_due");
  });
});

describe("Stripe API versions", () => {
  it("finds an invoice's subscription at the top level or under parent.subscription_details", () => {
    const old = invoicePaid({ customer: "cus_1", subscription: "sub_old", created: T });
    const { subscription: _s, ...rest } = old.data.object as Record<string, unknown>;
    const basil = {
      ...old,
      data: { object: { ...rest, parent: { subscription_details: { subscription: "sub_new" } } } },
    };
    expect(InvoiceEvent.parse(old).data.object.subscription).toBe("sub_old");
    expect(InvoiceEvent.parse(basil).data.object.subscription).toBe("sub_new");
    expect(invoiceFacts(InvoiceEvent.parse(basil))).toMatchObject({ subscriptionId: "sub_new", status: "active" });
  });
});
