import { and, type Db, eq, like, schema, sql } from "@switchyard/db";
import { compareFacts, INITIAL_VIEW, type OrderFact, step } from "./order-machine.ts";
import type { Order } from "./order-store.ts";
import { addTimeline } from "./timeline.ts";

type FactRow = typeof schema.orderFacts.$inferSelect;

/**
 * The buyer's timeline tells the order as its facts do in Stripe's order: one line per event, and
 * one per transition of the fold. Lines are keyed by the fact that made them, and a transition a
 * later-arriving older fact has since removed (fulfilled before paid, until the payment arrived)
 * is taken out again, so every arrival order ends in the same timeline.
 */
export async function syncOrderTimeline(tx: Db, customerId: string, order: Order, rows: FactRow[]): Promise<void> {
  const byKey = new Map(rows.map((r) => [r.dedupeKey, r]));
  const seen = new Set<string>();
  for (const r of rows) {
    if (!r.eventId || seen.has(r.eventId)) continue;
    seen.add(r.eventId);
    await addTimeline(tx, {
      customerId,
      kind: "event",
      summary: String((r.details as { type?: string } | null)?.type ?? r.kind),
      eventId: r.eventId,
      at: r.at,
      dedupeKey: `event:${r.eventId}`,
      details: { orderId: order.id },
    });
  }
  const facts: OrderFact[] = rows.map(
    (r) => ({ ...((r.details ?? {}) as object), kind: r.kind, at: r.at.getTime(), key: r.dedupeKey }) as OrderFact,
  );
  const keys: string[] = [];
  let view = INITIAL_VIEW;
  for (const f of facts.sort(compareFacts)) {
    const next = step(view, f);
    if (next.state !== view.state) {
      const dedupeKey = `order:${order.id}:${f.key}`;
      keys.push(dedupeKey);
      const summary = `order ${order.appOrderId ?? order.checkoutSessionId ?? order.paymentIntentId ?? order.id}: ${view.state} → ${next.state}${next.reviewReason && next.state === "needs_review" ? ` (${next.reviewReason})` : ""}`;
      const details = JSON.stringify({
        orderId: order.id,
        from: view.state,
        to: next.state,
        amount: order.amount,
        currency: order.currency,
      });
      await tx.execute(sql`
        insert into ${schema.customerTimeline} (customer_id, at, kind, summary, event_id, details, dedupe_key)
        values (${customerId}::text::uuid, ${new Date(f.at).toISOString()}::text::timestamptz, 'state_change',
          ${summary}, ${byKey.get(f.key)?.eventId ?? null}::text::uuid, ${details}::text::jsonb, ${dedupeKey})
        on conflict (dedupe_key) do update set summary = excluded.summary, details = excluded.details, at = excluded.at`);
    }
    view = next;
  }
  const { customerTimeline: t } = schema;
  const mine = and(eq(t.customerId, customerId), like(t.dedupeKey, `order:${order.id}:%`));
  const kept = sql`${t.dedupeKey} not in (${sql.join(
    keys.map((k) => sql`${k}`),
    sql`, `,
  )})`;
  await tx.delete(t).where(keys.length ? and(mine, kept) : mine);
}
