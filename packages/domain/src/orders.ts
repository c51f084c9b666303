import { and, asc, type Db, eq, isNull, schema } from "@switchyard/db";
import { type Customer, findCustomer, lockCustomer } from "./customers.ts";
import type { OrderInput, Party } from "./order-facts.ts";
import { type OrderFact, type OrderFactBody, type OrderView, orderView } from "./order-machine.ts";
import { lockOrder, type Order } from "./order-store.ts";
import { syncOrderTimeline } from "./order-timeline.ts";
import { openSupportRecord } from "./support-records.ts";

export interface OrderOutcome {
  orderId: string;
  state: OrderView["state"];
  buyerId: string | null;
  sellerId: string | null;
  /** The buyer's paid orders, value or last order day moved: the CRM must hear about it. */
  buyerCrmChanged: boolean;
  /** A seller was named for the first time: its CRM contact gets its role. */
  sellerCrmChanged: boolean;
  /** Support records this event opened (none on a repeat). */
  opened: { kind: string; summary: string }[];
}

const factKey = (eventId: string, kind: string) => `${eventId}:${kind}`;

function toFact(row: typeof schema.orderFacts.$inferSelect): OrderFact {
  const d = (row.details ?? {}) as { amountRefunded?: number; amount?: number; outcome?: "won" | "lost" };
  const base = { at: row.at.getTime(), key: row.dedupeKey };
  if (row.kind === "refunded")
    return { ...base, kind: "refunded", amountRefunded: d.amountRefunded ?? 0, amount: d.amount ?? 0 };
  if (row.kind === "dispute_closed") return { ...base, kind: "dispute_closed", outcome: d.outcome ?? "lost" };
  return { ...base, kind: row.kind as "paid" };
}

/** The customer an event names: found or created when the event identifies them, else only found. */
async function partyCustomer(tx: Db, party: Party | undefined, current: string | null): Promise<Customer | undefined> {
  if (party?.identifies && (party.keys.externalId || party.keys.email)) {
    const customer = await lockCustomer(tx, party.keys);
    if (party.name && !customer.name) {
      await tx.update(schema.customers).set({ name: party.name }).where(eq(schema.customers.id, customer.id));
    }
    return customer;
  }
  if (current) return findCustomer(tx, { id: current });
  const { customers } = schema;
  const { stripeCustomerId, email } = party?.keys ?? {};
  const byStripe = stripeCustomerId
    ? (await tx.select().from(customers).where(eq(customers.stripeCustomerId, stripeCustomerId)))[0]
    : undefined;
  return byStripe ?? (email ? findCustomer(tx, { email }) : undefined);
}

/**
 * What this order adds to its buyer's CRM figures (paid orders, value net of refunds, last order
 * day). Compared before and after the event, it says whether the CRM must hear, without reading
 * the buyer's other orders, which concurrent jobs may be changing meanwhile.
 */
const contribution = (o: Order) =>
  o.buyerCustomerId && o.paidAt
    ? `${o.buyerCustomerId}:${(o.amount ?? 0) - o.amountRefunded}:${o.paidAt.toISOString().slice(0, 10)}`
    : "";

/**
 * Applies one event to its order, in one transaction: the order found (or created, or merged)
 * by any id the event carries, its facts added, its state derived again from all its facts, the
 * customer's timeline brought in line, and any dead end recorded once.
 */
export async function applyOrderEvent(
  db: Db,
  eventId: string,
  type: string,
  input: OrderInput,
  opts: { fromApp?: boolean } = {},
): Promise<OrderOutcome | undefined> {
  // Only the app, a mode=payment Checkout Session or an object carrying the app's order id starts
  // an order: a subscription's own PaymentIntents and charges must not become orders.
  const create = Boolean(opts.fromApp || input.refs.appOrderId || input.startsOrder);
  return db.transaction(async (txRaw) => {
    const tx = txRaw as unknown as Db;
    const order = await lockOrder(tx, input.refs, { create });
    if (!order) return undefined;
    const buyer = await partyCustomer(tx, input.buyer, order.buyerCustomerId);
    const seller = input.seller ? await partyCustomer(tx, input.seller, order.sellerCustomerId) : undefined;
    const buyerId = order.buyerCustomerId ?? buyer?.id ?? null;
    const accountId = order.sellerAccountId ?? input.seller?.stripeAccountId ?? input.sellerAccountId ?? null;
    let sellerId = order.sellerCustomerId ?? seller?.id ?? null;
    if (!sellerId && accountId) sellerId = await sellerOfAccount(tx, accountId);
    if (seller && input.seller?.stripeAccountId) await linkAccount(tx, input.seller.stripeAccountId, seller.id);

    const { orderFacts, orders } = schema;
    if (input.facts.length) {
      await tx
        .insert(orderFacts)
        .values(
          input.facts.map((f) => ({
            orderId: order.id,
            kind: f.kind,
            at: new Date(f.at),
            eventId,
            details: { type, ...detailsOf(f) },
            dedupeKey: factKey(eventId, f.kind),
          })),
        )
        .onConflictDoNothing();
    }
    const factRows = await tx
      .select()
      .from(orderFacts)
      .where(eq(orderFacts.orderId, order.id))
      .orderBy(asc(orderFacts.at), asc(orderFacts.id));
    const view = orderView(factRows.map(toFact));
    // Stripe's figures are the truth once it has sent them; the app's only fill in what is missing.
    const take = <T>(mine: T | null | undefined, theirs: T | null) =>
      opts.fromApp ? (theirs ?? mine ?? null) : (mine ?? theirs ?? null);
    const patch: Partial<Order> = {
      buyerCustomerId: buyerId,
      sellerCustomerId: sellerId,
      sellerAccountId: accountId,
      amount: take(input.amount, order.amount),
      currency: take(input.currency, order.currency),
      applicationFee: take(input.applicationFee, order.applicationFee),
      items: order.items ?? input.items ?? null,
      disputeId: input.disputeId ?? order.disputeId,
      refundIds: [...new Set([...order.refundIds, ...(input.refundIds ?? [])])].sort(),
      state: view.state,
      stateAt: view.stateAt === null ? null : new Date(view.stateAt),
      reviewReason: view.reviewReason,
      paidAt: view.paidAt === null ? null : new Date(view.paidAt),
      amountRefunded: view.amountRefunded,
      updatedAt: new Date(),
    };
    const [saved] = await tx.update(orders).set(patch).where(eq(orders.id, order.id)).returning();
    const current = saved ?? { ...order, ...patch };
    if (buyerId) await syncOrderTimeline(tx, buyerId, current, factRows);

    const opened: OrderOutcome["opened"] = [];
    const openedDispute = input.facts.some((f) => f.kind === "dispute_opened") && current.disputeId;
    if (openedDispute) {
      const summary = `Dispute ${current.disputeId} opened on order ${displayId(current)} (${money(current)})`;
      const isNew = await openSupportRecord(tx, {
        dedupeKey: `dispute:${current.disputeId}`,
        kind: "dispute_opened",
        customerId: buyerId,
        orderId: current.id,
        summary,
        details: { disputeId: current.disputeId, chargeId: current.chargeId, paymentIntentId: current.paymentIntentId },
      });
      if (isNew) opened.push({ kind: "dispute_opened", summary });
    }
    return {
      orderId: current.id,
      state: current.state,
      buyerId,
      sellerId,
      buyerCrmChanged: contribution(order) !== contribution(current),
      sellerCrmChanged: Boolean(sellerId && !order.sellerCustomerId),
      opened,
    };
  });
}

function detailsOf(f: OrderFactBody) {
  if (f.kind === "refunded") return { amountRefunded: f.amountRefunded, amount: f.amount };
  if (f.kind === "dispute_closed") return { outcome: f.outcome };
  return {};
}

export const displayId = (o: Pick<Order, "appOrderId" | "checkoutSessionId" | "paymentIntentId" | "chargeId" | "id">) =>
  o.appOrderId ?? o.checkoutSessionId ?? o.paymentIntentId ?? o.chargeId ?? o.id;

const money = (o: Pick<Order, "amount" | "currency">) =>
  o.amount === null ? "amount unknown" : `${(o.amount / 100).toFixed(2)} ${(o.currency ?? "").toUpperCase()}`;

async function sellerOfAccount(tx: Db, accountId: string): Promise<string | null> {
  const [row] = await tx
    .select({ customerId: schema.connectAccounts.customerId })
    .from(schema.connectAccounts)
    .where(eq(schema.connectAccounts.accountId, accountId));
  return row?.customerId ?? null;
}

/** The seller's Connect account, tied to the seller's customer the first time an order names both. */
async function linkAccount(tx: Db, accountId: string, customerId: string): Promise<void> {
  const { connectAccounts } = schema;
  await tx.insert(connectAccounts).values({ accountId, customerId }).onConflictDoNothing();
  await tx
    .update(connectAccounts)
    .set({ customerId, updatedAt: new Date() })
    .where(and(eq(connectAccounts.accountId, accountId), isNull(connectAccounts.customerId)));
}
