import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareFacts, INITIAL_VIEW, type OrderFact, orderView, step } from "./order-machine.ts";

const AMOUNT = 1_000;

/** One order's facts: few distinct seconds, so same-second ties are common. */
const fact: fc.Arbitrary<OrderFact> = fc
  .tuple(
    fc.constantFrom(
      "created",
      "payment_failed",
      "canceled",
      "paid",
      "fulfilled",
      "refunded",
      "dispute_opened",
      "dispute_closed",
    ),
    fc.integer({ min: 0, max: 6 }),
    fc.integer({ min: 1, max: AMOUNT }),
    fc.boolean(),
    fc.nat(),
  )
  .map(([kind, at, refunded, won, n]): OrderFact => {
    const key = `evt_${n}_${kind}`;
    if (kind === "refunded") return { kind, at, key, amountRefunded: refunded, amount: AMOUNT };
    if (kind === "dispute_closed") return { kind, at, key, outcome: won ? "won" : "lost" };
    return { kind, at, key };
  });

/** The facts, each delivered one to three times, in any order. */
const deliveries = (facts: OrderFact[]) =>
  fc.array(fc.integer({ min: 1, max: 3 }), { minLength: facts.length, maxLength: facts.length }).chain((times) => {
    const all = facts.flatMap((f, i) => Array.from({ length: times[i] ?? 1 }, () => f));
    return fc.shuffledSubarray(all, { minLength: all.length, maxLength: all.length });
  });

/** The reference: each distinct fact once, in Stripe's `created` order, through the transitions. */
const inCreatedOrder = (facts: OrderFact[]) => [...new Set(facts)].sort(compareFacts).reduce(step, INITIAL_VIEW);

/** What billing-sync does: each delivery adds its facts to what is stored, then the state is derived again. */
function deliverOneByOne(arrivals: OrderFact[]) {
  const stored: OrderFact[] = [];
  let view = INITIAL_VIEW;
  for (const f of arrivals) {
    if (!stored.some((s) => s.key === f.key)) stored.push(f);
    view = orderView(stored);
  }
  return view;
}

describe("the order state machine over random interleavings", () => {
  it("ends, for any arrival order and re-delivery, in the state of the facts in created order", () => {
    fc.assert(
      fc.property(
        fc
          .uniqueArray(fact, { minLength: 1, maxLength: 9, selector: (f) => f.key })
          .chain((facts) => fc.tuple(fc.constant(facts), deliveries(facts), deliveries(facts))),
        ([facts, one, other]) => {
          const expected = inCreatedOrder(facts);
          expect(deliverOneByOne(one)).toEqual(expected);
          expect(deliverOneByOne(other)).toEqual(expected);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("never leaves needs_review once a transition was refused", () => {
    fc.assert(
      fc.property(fc.array(fact, { minLength: 1, maxLength: 9 }), (facts) => {
        let view = INITIAL_VIEW;
        for (const f of [...facts].sort(compareFacts)) {
          const next = step(view, f);
          if (view.state === "needs_review") expect(next.state).toBe("needs_review");
          view = next;
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("the order state machine's transitions", () => {
  const f = (kind: OrderFact["kind"], at: number, extra: object = {}) =>
    ({ kind, at, key: `${kind}-${at}`, ...extra }) as OrderFact;

  it("a payment after a failed attempt is paid; an older failure arriving late does not revert it", () => {
    expect(orderView([f("created", 1), f("payment_failed", 2), f("paid", 3)]).state).toBe("paid");
    expect(orderView([f("paid", 5), f("payment_failed", 4)]).state).toBe("paid");
    expect(orderView([f("payment_failed", 4)]).state).toBe("payment_failed");
  });

  it("refunds: partial, then the rest", () => {
    const partial = f("refunded", 6, { amountRefunded: 300, amount: 1_000 });
    const full = f("refunded", 7, { amountRefunded: 1_000, amount: 1_000 });
    expect(orderView([f("paid", 5), partial]).state).toBe("partially_refunded");
    expect(orderView([full, f("paid", 5), partial])).toMatchObject({ state: "refunded", amountRefunded: 1_000 });
  });

  it("a dispute opens and closes won or lost", () => {
    const paid = f("paid", 5);
    expect(orderView([paid, f("fulfilled", 6), f("dispute_opened", 8)]).state).toBe("disputed");
    expect(orderView([f("dispute_closed", 9, { outcome: "won" }), f("dispute_opened", 8), paid]).state).toBe(
      "dispute_won",
    );
    expect(orderView([paid, f("dispute_opened", 8), f("dispute_closed", 9, { outcome: "lost" })]).state).toBe(
      "dispute_lost",
    );
  });

  it("fulfilled before paid is kept, not applied: needs_review, with the reason", () => {
    const view = orderView([f("created", 1), f("fulfilled", 2), f("paid", 3)]);
    expect(view).toMatchObject({ state: "needs_review", paidAt: 3 });
    expect(view.reviewReason).toContain("fulfilled before it was paid");
    expect(orderView([f("paid", 2), f("fulfilled", 3)]).state).toBe("fulfilled");
  });

  it("same-second facts of one purchase read in the order they happen", () => {
    expect(orderView([f("fulfilled", 5), f("paid", 5), f("created", 5)]).state).toBe("fulfilled");
    expect(orderView([f("paid", 5), f("payment_failed", 5)]).state).toBe("paid");
  });
});
