import { createDb, type DbHandle, eq, runMigrations, schema } from "@switchyard/db";
import { ChargeEvent, CheckoutSessionCompleted, DisputeEvent, PaymentIntentEvent } from "@switchyard/events";
import {
  chargeEvent,
  checkoutPaymentCompleted,
  createTestDatabase,
  disputeEvent,
  orderCreatedEvent,
  orderFixture,
  paymentIntentEvent,
  type TestDatabase,
} from "@switchyard/testkit";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chargeOrderInput,
  disputeOrderInput,
  type OrderInput,
  orderCreatedInput,
  paymentIntentOrderInput,
  sessionOrderInput,
} from "./order-facts.ts";
import { applyOrderEvent } from "./orders.ts";
import { openStaleOrderRecords } from "./support-records.ts";

const T = 1_800_000_000;
let testDb: TestDatabase;
let handle: DbHandle;
beforeAll(async () => {
  testDb = await createTestDatabase("orders_db");
  handle = await createDb({ databaseUrl: testDb.url });
  await runMigrations(handle);
});
afterAll(async () => {
  await handle?.close();
  await testDb?.drop();
});

let n = 0;
/** One order's events as billing-sync would read them: (event id, type, input). */
function eventsOf(opts: { failedFirst: boolean; refund: number; dispute: "none" | "open" | "won" }) {
  n += 1;
  const o = orderFixture({ orderId: `ord_db_${n}`, buyer: { userId: `u-db-${n}`, email: `db${n}@example.com` } });
  const id = (k: string) => `0190a000-0000-7000-8000-${String(n).padStart(6, "0")}${k.padStart(6, "0")}`;
  const list: [string, string, OrderInput][] = [];
  const add = (k: string, type: string, input: OrderInput) => list.push([id(k), type, input]);
  const created = { ...orderCreatedEvent(o), occurredAt: new Date(T * 1000).toISOString() };
  add("1", "app.order.created", orderCreatedInput(created as never, new Date().toISOString()));
  if (opts.failedFirst)
    add(
      "2",
      "stripe.payment_intent.payment_failed",
      paymentIntentOrderInput(PaymentIntentEvent.parse(paymentIntentEvent(o, "payment_intent.payment_failed", T + 1))),
    );
  add(
    "3",
    "stripe.payment_intent.succeeded",
    paymentIntentOrderInput(PaymentIntentEvent.parse(paymentIntentEvent(o, "payment_intent.succeeded", T + 2))),
  );
  add(
    "4",
    "stripe.charge.succeeded",
    chargeOrderInput(ChargeEvent.parse(chargeEvent(o, "charge.succeeded", { created: T + 2 }))),
  );
  add(
    "5",
    "stripe.checkout.session.completed",
    sessionOrderInput(CheckoutSessionCompleted.parse(checkoutPaymentCompleted(o, { created: T + 3 }))),
  );
  if (opts.refund)
    add(
      "6",
      "stripe.charge.refunded",
      chargeOrderInput(
        ChargeEvent.parse(chargeEvent(o, "charge.refunded", { created: T + 10, amountRefunded: opts.refund })),
      ),
    );
  if (opts.dispute !== "none")
    add(
      "7",
      "stripe.charge.dispute.created",
      disputeOrderInput(DisputeEvent.parse(disputeEvent(o, "charge.dispute.created", { created: T + 20 }))),
    );
  if (opts.dispute === "won")
    add(
      "8",
      "stripe.charge.dispute.closed",
      disputeOrderInput(DisputeEvent.parse(disputeEvent(o, "charge.dispute.closed", { created: T + 30 }))),
    );
  const expected =
    opts.dispute === "won"
      ? "dispute_won"
      : opts.dispute === "open"
        ? "disputed"
        : opts.refund >= o.amount
          ? "refunded"
          : opts.refund
            ? "partially_refunded"
            : "paid";
  return { order: o, list, expected };
}

describe("orders in Postgres over random interleavings", () => {
  it("any arrival order of an order's events, each delivered up to twice, ends in one row in the created-order state", async () => {
    const db = handle.db;
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          failedFirst: fc.boolean(),
          refund: fc.constantFrom(0, 700, 2_500),
          dispute: fc.constantFrom("none", "open", "won") as fc.Arbitrary<"none" | "open" | "won">,
        }),
        fc.infiniteStream(fc.nat()),
        async (opts, randoms) => {
          const { order, list, expected } = eventsOf(opts);
          const deliveries = [...list, ...list.filter((_, i) => i % 2 === 0)];
          const it = randoms[Symbol.iterator]();
          for (let i = deliveries.length - 1; i > 0; i--) {
            const j = (it.next().value as number) % (i + 1);
            [deliveries[i], deliveries[j]] = [
              deliveries[j] as (typeof deliveries)[number],
              deliveries[i] as (typeof deliveries)[number],
            ];
          }
          // A dispute that beats every event naming its charge waits for one (billing-sync retries it).
          const waiting: typeof deliveries = [];
          for (const d of deliveries)
            if (!(await applyOrderEvent(db, d[0], d[1], d[2], { fromApp: d[1].startsWith("app.") }))) waiting.push(d);
          for (const d of waiting) expect(await applyOrderEvent(db, d[0], d[1], d[2])).toBeDefined();
          const rows = await db.select().from(schema.orders).where(eq(schema.orders.appOrderId, order.orderId));
          expect(rows).toHaveLength(1);
          expect(rows[0]?.state).toBe(expected);
          expect(rows[0]).toMatchObject({
            paymentIntentId: order.paymentIntent,
            chargeId: order.charge,
            checkoutSessionId: order.session,
          });
        },
      ),
      { numRuns: 10 },
    );
  }, 60_000);

  it("an order pending, or failed with no success since, past the limit opens one record, once", async () => {
    const db = handle.db;
    const stale = orderFixture({ orderId: "ord_stale", buyer: { userId: "u-stale", email: "stale@example.com" } });
    const created = { ...orderCreatedEvent(stale), occurredAt: new Date((T - 7_200) * 1000).toISOString() };
    await applyOrderEvent(
      db,
      "0190a000-0000-7000-8000-999999000001",
      "app.order.created",
      orderCreatedInput(created as never, ""),
      { fromApp: true },
    );
    const failed = orderFixture({ orderId: "ord_failed", buyer: { userId: "u-stale", email: "stale@example.com" } });
    const pf = paymentIntentOrderInput(
      PaymentIntentEvent.parse(paymentIntentEvent(failed, "payment_intent.payment_failed", T - 7_000)),
    );
    await applyOrderEvent(db, "0190a000-0000-7000-8000-999999000002", "stripe.payment_intent.payment_failed", pf);
    const now = new Date((T + 3_600) * 1000);
    // The created order's clock starts at the row's own creation, so pretend it has stood for hours.
    await db
      .update(schema.orders)
      .set({ createdAt: new Date((T - 7_200) * 1000) })
      .where(eq(schema.orders.appOrderId, "ord_stale"));
    expect(await openStaleOrderRecords(db, 3_600_000, now)).toBeGreaterThanOrEqual(2);
    expect(await openStaleOrderRecords(db, 3_600_000, now)).toBe(0);
    const records = await db.select().from(schema.supportRecords);
    expect(records.filter((r) => r.summary.includes("ord_stale")).map((r) => r.kind)).toEqual(["order_pending"]);
    expect(records.filter((r) => r.summary.includes("ord_failed")).map((r) => r.kind)).toEqual(["payment_failed"]);
  });
});
