import { desc, eq, or, schema } from "@switchyard/db";
import { html } from "hono/html";
import type { AdminDeps } from "../env-types.ts";
import { type Html, text, when } from "./page.ts";

type OrderRow = typeof schema.orders.$inferSelect;
type RecordRow = typeof schema.supportRecords.$inferSelect;

export interface CustomerOrders {
  orders: OrderRow[];
  records: RecordRow[];
}

/** The customer's orders as buyer or seller, and the support records opened for them, newest first. */
export async function loadCustomerOrders(deps: AdminDeps, customerId: string): Promise<CustomerOrders> {
  const { orders, supportRecords } = schema;
  const [rows, records] = await Promise.all([
    deps.db
      .select()
      .from(orders)
      .where(or(eq(orders.buyerCustomerId, customerId), eq(orders.sellerCustomerId, customerId)))
      .orderBy(desc(orders.createdAt))
      .limit(50),
    deps.db
      .select()
      .from(supportRecords)
      .where(eq(supportRecords.customerId, customerId))
      .orderBy(desc(supportRecords.createdAt))
      .limit(50),
  ]);
  return { orders: rows, records };
}

const STATE_CLASS: Record<string, string> = {
  paid: "good",
  fulfilled: "good",
  dispute_won: "good",
  payment_failed: "bad",
  disputed: "bad",
  dispute_lost: "bad",
  needs_review: "bad",
};

const money = (amount: number | null, currency: string | null) =>
  amount === null ? "" : `${(amount / 100).toFixed(2)} ${text(currency).toUpperCase()}`;

/** Nothing for a customer who never bought, sold or had a record. */
export function customerOrdersView(data: CustomerOrders, customerId: string): Html | string {
  if (data.orders.length === 0 && data.records.length === 0) return "";
  const orders = data.orders.length
    ? html`<h2>Orders</h2>
<table data-testid="orders"><tr><th>order</th><th>role</th><th>state</th><th>amount</th><th>payment</th><th>updated</th></tr>
${data.orders.map(
  (o) => html`<tr data-order="${text(o.appOrderId ?? o.id)}" data-state="${o.state}">
<td>${text(o.appOrderId ?? o.checkoutSessionId ?? o.paymentIntentId ?? o.id)}</td>
<td>${o.sellerCustomerId === customerId ? "seller" : "buyer"}</td>
<td><span class="${STATE_CLASS[o.state] ?? ""}">${o.state.replace("_", " ")}</span>${o.reviewReason ? html` <span class="muted">(${text(o.reviewReason)})</span>` : ""}</td>
<td>${money(o.amount, o.currency)}${o.amountRefunded ? html` <span class="muted">refunded ${money(o.amountRefunded, o.currency)}</span>` : ""}</td>
<td>${text(o.paymentIntentId ?? o.chargeId)}${o.disputeId ? html` · dispute ${text(o.disputeId)}` : ""}</td>
<td>${when(o.updatedAt)}</td></tr>`,
)}
</table>`
    : "";
  const records = data.records.length
    ? html`<h2>Support records</h2>
<table data-testid="support-records"><tr><th>opened</th><th>kind</th><th>what</th><th>status</th></tr>
${data.records.map(
  (r) =>
    html`<tr data-kind="${r.kind}"><td>${when(r.createdAt)}</td><td>${r.kind.replace("_", " ")}</td><td>${text(r.summary)}</td><td>${r.status}</td></tr>`,
)}
</table>`
    : "";
  return html`${orders}${records}`;
}
