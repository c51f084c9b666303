import { type Db, desc, eq, schema, sql } from "@switchyard/db";
import { type ConnectStatus, connectAccountOf, connectStatusFrom } from "./connect.ts";

export interface LastOrder {
  id: string;
  state: string;
  amount: number | null;
  currency: string | null;
  /** The PaymentIntent (else the charge) support looks the payment up by. */
  paymentId: string | null;
  refundId: string | null;
  at: string;
}

/** What a ticket's context adds for a buyer (the last order) and a seller (its Connect account). */
export interface OrderContext {
  lastOrder?: LastOrder;
  seller?: ConnectStatus;
}

type OrderRow = typeof schema.orders.$inferSelect;
type AccountRow = typeof schema.connectAccounts.$inferSelect;

export async function orderContextOf(db: Db, customerId: string): Promise<OrderContext> {
  return orderContextFrom(await lastOrderOf(db, customerId), await connectAccountOf(db, customerId));
}

/** The customer's last order as a buyer (paid, else created, last), if any. */
export async function lastOrderOf(db: Db, customerId: string): Promise<OrderRow | undefined> {
  const { orders } = schema;
  const [order] = await db
    .select()
    .from(orders)
    .where(eq(orders.buyerCustomerId, customerId))
    .orderBy(desc(sql`coalesce(${orders.paidAt}, ${orders.createdAt})`), desc(orders.id))
    .limit(1);
  return order;
}

/** The context of a customer's last order as a buyer and Connect account as a seller, either absent. */
export function orderContextFrom(order: OrderRow | undefined, account: AccountRow | undefined): OrderContext {
  const seller = connectStatusFrom(account);
  return {
    ...(order
      ? {
          lastOrder: {
            id: order.appOrderId ?? order.checkoutSessionId ?? order.paymentIntentId ?? order.id,
            state: order.state,
            amount: order.amount,
            currency: order.currency,
            paymentId: order.paymentIntentId ?? order.chargeId,
            refundId: order.refundIds.at(-1) ?? null,
            at: (order.paidAt ?? order.createdAt).toISOString(),
          },
        }
      : {}),
    ...(seller ? { seller } : {}),
  };
}

const money = (amount: number | null, currency: string | null) =>
  amount === null ? "?" : `${(amount / 100).toFixed(2)} ${(currency ?? "").toUpperCase()}`;

/** The note's lines for them; none for a customer with neither. */
export function renderOrderContext(ctx: OrderContext): string[] {
  const lines: string[] = [];
  const o = ctx.lastOrder;
  if (o) {
    const refund = o.refundId ? `, refund ${o.refundId}` : "";
    lines.push(
      `Last order: ${o.id} · ${o.state} · ${money(o.amount, o.currency)} on ${o.at} (payment ${o.paymentId ?? "n/a"}${refund})`,
    );
  }
  const s = ctx.seller;
  if (s) {
    const flag = (on: boolean | null) => (on === null ? "unknown" : on ? "enabled" : "disabled");
    const due = s.requirementsDue.length ? s.requirementsDue.join(", ") : "none";
    lines.push(
      `Seller (Stripe Connect ${s.accountId}): charges ${flag(s.chargesEnabled)}, payouts ${flag(s.payoutsEnabled)} · requirements due: ${due}`,
    );
  }
  return lines;
}
