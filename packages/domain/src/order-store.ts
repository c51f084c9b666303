import { type Db, eq, inArray, like, or, schema, sql } from "@switchyard/db";
import type { OrderRefs } from "./order-facts.ts";

export type Order = typeof schema.orders.$inferSelect;

const REF_COLUMNS = {
  appOrderId: schema.orders.appOrderId,
  checkoutSessionId: schema.orders.checkoutSessionId,
  paymentIntentId: schema.orders.paymentIntentId,
  chargeId: schema.orders.chargeId,
} as const;
type RefName = keyof typeof REF_COLUMNS;
const REF_NAMES = Object.keys(REF_COLUMNS) as RefName[];

const given = (refs: OrderRefs) =>
  REF_NAMES.flatMap((name) => {
    const value = refs[name];
    return value ? [[name, value] as const] : [];
  });

/**
 * Finds the order any of the ids names (creating it when none does) and locks it for the rest of
 * the transaction. Rows that turn out to be one order (a dispute that named only its charge,
 * reached before the charge named its PaymentIntent) are merged into one: the app's order id
 * wins, else the oldest row; their facts and records move with them.
 */
export async function lockOrder(tx: Db, refs: OrderRefs, opts: { create: boolean }): Promise<Order | undefined> {
  const { orders } = schema;
  const known = given(refs);
  if (known.length === 0) throw new Error("an order needs an order id, a session, a PaymentIntent or a charge");
  for (let round = 0; round < 3; round++) {
    const rows = await tx
      .select()
      .from(orders)
      .where(or(...known.map(([name, value]) => eq(REF_COLUMNS[name], value))))
      .orderBy(orders.createdAt, orders.id)
      .for("update");
    if (rows.length === 0) {
      if (!opts.create) return undefined;
      const [created] = await tx.insert(orders).values(Object.fromEntries(known)).onConflictDoNothing().returning();
      if (created) return created;
      continue; // another worker created it between our select and insert: read it again
    }
    const primary = rows.find((r) => r.appOrderId) ?? rows[0];
    if (!primary) continue;
    const others = rows.filter((r) => r.id !== primary.id);
    return others.length ? mergeOrders(tx, primary, others, refs) : fillRefs(tx, primary, refs);
  }
  throw new Error("order could not be resolved after concurrent creation");
}

async function fillRefs(tx: Db, order: Order, refs: OrderRefs): Promise<Order> {
  const patch = Object.fromEntries(given(refs).filter(([name]) => !order[name]));
  if (Object.keys(patch).length === 0) return order;
  const [updated] = await tx.update(schema.orders).set(patch).where(eq(schema.orders.id, order.id)).returning();
  return updated ?? order;
}

async function mergeOrders(tx: Db, primary: Order, others: Order[], refs: OrderRefs): Promise<Order> {
  const { orders, orderFacts, supportRecords } = schema;
  const ids = others.map((o) => o.id);
  await tx.update(orderFacts).set({ orderId: primary.id }).where(inArray(orderFacts.orderId, ids));
  await tx.update(supportRecords).set({ orderId: primary.id }).where(inArray(supportRecords.orderId, ids));
  // Their transitions are told again from the survivor's facts (order-timeline.ts).
  for (const id of ids) {
    await tx.delete(schema.customerTimeline).where(like(schema.customerTimeline.dedupeKey, `order:${id}:%`));
  }
  // Their refs move to the survivor, so they must leave the rows that held them first.
  await tx.delete(orders).where(inArray(orders.id, ids));
  const pick = <K extends keyof Order>(k: K) => primary[k] ?? others.find((o) => o[k] !== null)?.[k] ?? null;
  const merged = {
    appOrderId: pick("appOrderId"),
    checkoutSessionId: pick("checkoutSessionId"),
    paymentIntentId: pick("paymentIntentId"),
    chargeId: pick("chargeId"),
    buyerCustomerId: pick("buyerCustomerId"),
    sellerCustomerId: pick("sellerCustomerId"),
    sellerAccountId: pick("sellerAccountId"),
    amount: pick("amount"),
    currency: pick("currency"),
    applicationFee: pick("applicationFee"),
    items: pick("items"),
    disputeId: pick("disputeId"),
    refundIds: [...new Set([primary, ...others].flatMap((o) => o.refundIds))].sort(),
    createdAt: [primary, ...others].map((o) => o.createdAt).sort((a, b) => a.getTime() - b.getTime())[0],
  };
  const [updated] = await tx.update(orders).set(merged).where(eq(orders.id, primary.id)).returning();
  return fillRefs(tx, updated ?? primary, refs);
}

export interface BuyerStats {
  paidOrders: number;
  lifetimeValue: number;
  lastOrderAt: Date | null;
}

/** A buyer's paid orders, what they are worth net of refunds, and when the last was paid. */
export async function buyerStats(db: Db, customerId: string): Promise<BuyerStats> {
  const { orders } = schema;
  const [row] = await db
    .select({
      paid: sql<number>`count(*) filter (where ${orders.paidAt} is not null)::int`,
      value: sql<number>`coalesce(sum(coalesce(${orders.amount}, 0) - ${orders.amountRefunded}) filter (where ${orders.paidAt} is not null), 0)::int`,
      last: sql<number | null>`extract(epoch from max(${orders.paidAt}))::float8`,
    })
    .from(orders)
    .where(eq(orders.buyerCustomerId, customerId));
  return {
    paidOrders: row?.paid ?? 0,
    lifetimeValue: row?.value ?? 0,
    lastOrderAt: row?.last ? new Date(row.last * 1000) : null,
  };
}
