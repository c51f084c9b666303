import type { schema } from "@switchyard/db";

type OrderState = schema.OrderState;

/**
 * What one event says about an order. `at` is Stripe's `created` (an app event's `occurredAt`, else
 * when it was recorded); `key` is unique per (event, kind), so a re-delivery adds nothing.
 */
export type OrderFact =
  | {
      kind: "created" | "payment_failed" | "canceled" | "paid" | "fulfilled" | "dispute_opened";
      at: number;
      key: string;
    }
  | { kind: "refunded"; at: number; key: string; amountRefunded: number; amount: number }
  | { kind: "dispute_closed"; at: number; key: string; outcome: "won" | "lost" };

export type OrderFactKind = OrderFact["kind"];
/** A fact before it is given its key. */
export type OrderFactBody = OrderFact extends infer F ? (F extends OrderFact ? Omit<F, "key"> : never) : never;

export interface OrderView {
  state: OrderState;
  /** Time of the fact that set the state; null while pending from the start. */
  stateAt: number | null;
  /** The transition that was refused, when the state is needs_review. */
  reviewReason: string | null;
  paidAt: number | null;
  amountRefunded: number;
}

/**
 * Same-second tie-break: the order things happen in for one purchase. Stripe stamps in seconds,
 * and a session, its PaymentIntent and its charge often share one.
 */
const RANK: Record<OrderFactKind, number> = {
  created: 0,
  payment_failed: 1,
  canceled: 2,
  paid: 3,
  fulfilled: 4,
  refunded: 5,
  dispute_opened: 6,
  dispute_closed: 7,
};

export const INITIAL_VIEW: OrderView = {
  state: "pending",
  stateAt: null,
  reviewReason: null,
  paidAt: null,
  amountRefunded: 0,
};

const UNPAID = new Set<OrderState>(["pending", "payment_failed", "canceled"]);
const DISPUTE = new Set<OrderState>(["disputed", "dispute_won", "dispute_lost"]);

/** (created, tie-break rank, key): the one order every fact set is read in. */
export function compareFacts(a: OrderFact, b: OrderFact): number {
  return a.at - b.at || RANK[a.kind] - RANK[b.kind] || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/**
 * One transition. An illegal one (fulfilled before paid, paid after canceled, a refund or a
 * dispute before any payment) is not applied: the order goes to needs_review and stays there
 * until a person looks, whatever comes after.
 */
export function step(view: OrderView, fact: OrderFact): OrderView {
  const v: OrderView = { ...view };
  if (fact.kind === "paid" && v.paidAt === null) v.paidAt = fact.at;
  if (fact.kind === "refunded") v.amountRefunded = Math.max(v.amountRefunded, fact.amountRefunded);
  if (v.state === "needs_review") return v;
  const to = (state: OrderState): OrderView => (state === v.state ? v : { ...v, state, stateAt: fact.at });
  const illegal = (why: string): OrderView => ({ ...v, state: "needs_review", stateAt: fact.at, reviewReason: why });
  const s = v.state;
  switch (fact.kind) {
    case "created":
      return v;
    case "payment_failed":
      return s === "pending" || s === "payment_failed" ? to("payment_failed") : v;
    case "canceled":
      if (s === "pending" || s === "payment_failed" || s === "canceled") return to("canceled");
      return illegal(`canceled after it was paid (${s})`);
    case "paid":
      if (s === "canceled") return illegal("paid after it was canceled");
      return s === "pending" || s === "payment_failed" ? to("paid") : v;
    case "fulfilled":
      if (UNPAID.has(s)) return illegal(`fulfilled before it was paid (${s})`);
      return s === "paid" ? to("fulfilled") : v;
    case "refunded":
      if (UNPAID.has(s)) return illegal(`refunded before it was paid (${s})`);
      if (DISPUTE.has(s)) return v;
      return to(v.amountRefunded >= fact.amount ? "refunded" : "partially_refunded");
    case "dispute_opened":
      if (UNPAID.has(s)) return illegal(`disputed before it was paid (${s})`);
      return to("disputed");
    case "dispute_closed":
      if (s !== "disputed" && s !== "dispute_won" && s !== "dispute_lost")
        return illegal(`dispute closed without an open dispute (${s})`);
      return to(fact.outcome === "won" ? "dispute_won" : "dispute_lost");
  }
}

/**
 * The order's state from all its facts, whatever order they arrived in and however often: the
 * set (a repeated key counts once) is read in `created` order and folded through `step`.
 */
export function orderView(facts: readonly OrderFact[]): OrderView {
  const unique = new Map<string, OrderFact>();
  for (const f of facts) if (!unique.has(f.key)) unique.set(f.key, f);
  return [...unique.values()].sort(compareFacts).reduce(step, INITIAL_VIEW);
}
