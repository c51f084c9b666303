import { randomInt } from "node:crypto";
import { asc, eq, schema } from "@switchyard/db";
import {
  accountUpdated,
  appEventRequest,
  chargeEvent,
  checkoutPaymentCompleted,
  disputeEvent,
  FakeHubspot,
  type OrderFixture,
  orderCreatedEvent,
  orderFixture,
  paymentIntentEvent,
  signStripe,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { failedJobs, KEYS, type System, startSystem } from "./testing/system.ts";

const CONNECT_SECRET = "whsec_orders_connect_0123456789abcdef";
// Noon UTC, so every order of a run falls on one day (the CRM's last order date is a day).
const T0 = Date.UTC(2026, 10, 30, 12) / 1000;
const BUYERS = Array.from({ length: 8 }, (_, i) => ({ userId: `u-buyer-${i}`, email: `buyer${i}@example.com` }));
const SELLERS = Array.from({ length: 3 }, (_, i) => ({
  userId: `u-seller-${i}`,
  email: `seller${i}@example.com`,
  stripeAccountId: `acct_1Seller${i}`,
}));

interface Delivery {
  kind: "stripe" | "app";
  body: object;
  key?: string;
}

/** One paid marketplace purchase as the app and Stripe send it: order.created, the session, its PaymentIntent and charge. */
function purchase(o: OrderFixture, t: number): Delivery[] {
  return [
    {
      kind: "app",
      body: { ...orderCreatedEvent(o), occurredAt: new Date(t * 1000).toISOString() },
      key: `order-${o.orderId}`,
    },
    { kind: "stripe", body: paymentIntentEvent(o, "payment_intent.succeeded", t + 1) },
    { kind: "stripe", body: chargeEvent(o, "charge.succeeded", { created: t + 1 }) },
    { kind: "stripe", body: checkoutPaymentCompleted(o, { created: t + 2 }) },
  ];
}

const ORDERS = Array.from({ length: 20 }, (_, i) =>
  orderFixture({
    orderId: `ord_e2e_${i}`,
    buyer: BUYERS[i % BUYERS.length] ?? { userId: "u", email: "u@example.com" },
    seller: SELLERS[i % SELLERS.length],
    amount: 1_000 + 100 * i,
    applicationFee: 100 + i,
  }),
);
const DELIVERIES = ORDERS.flatMap((o, i) => purchase(o, T0 + i * 60));

function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

async function start(label: string, hubspot: FakeHubspot, logs?: string[]) {
  return startSystem({
    label,
    env: {
      STRIPE_CONNECT_WEBHOOK_SECRET: CONNECT_SECRET,
      HUBSPOT_ACCESS_TOKEN: hubspot.token,
      HUBSPOT_API_BASE: hubspot.url,
    },
    ...(logs ? { logs } : {}),
  });
}

const send = (sys: System, d: Delivery, secret = KEYS.stripe) =>
  d.kind === "app"
    ? sys.post(
        "/v1/events",
        appEventRequest({ payload: d.body, apiKey: KEYS.app, ...(d.key ? { idempotencyKey: d.key } : {}) }),
      )
    : sys.post("/webhooks/stripe", signStripe({ payload: d.body, secret }));

/** What two runs must agree on: order rows, CRM contacts as HubSpot holds them, every customer's timeline. */
async function snapshot(sys: System, hubspot: FakeHubspot) {
  const db = sys.dbHandle.db;
  const customers = await db.select().from(schema.customers);
  const emailOf = new Map(customers.map((c) => [c.id, c.email]));
  const orders = (await db.select().from(schema.orders).orderBy(asc(schema.orders.appOrderId))).map((o) => ({
    ...o,
    id: undefined,
    createdAt: undefined,
    updatedAt: undefined,
    buyerCustomerId: emailOf.get(o.buyerCustomerId ?? ""),
    sellerCustomerId: emailOf.get(o.sellerCustomerId ?? ""),
  }));
  const contacts = Object.fromEntries(
    [...hubspot.contacts.entries()].map(([email, c]) => {
      const { switchyard_customer_id: _id, ...properties } = c.properties;
      // A seller's contact is written again only when its properties changed, which depends on
      // the order its events ran in: its content is compared, not how many writes it took.
      if (SELLERS.some((s) => s.email === email)) return [email, { properties }];
      return [email, { properties, writes: c.writes }];
    }),
  );
  const timeline = (await db.select().from(schema.customerTimeline)).map((e) => ({
    who: emailOf.get(e.customerId),
    kind: e.kind,
    // A CRM line also says how many of the buyer's orders were paid when the contact was written:
    // with events arriving shuffled and concurrently, a later order may already be paid then. The
    // contact's final properties (compared below) hold the count that must agree.
    summary: e.kind === "crm_sync" ? e.summary.replace(/, \d+ paid order\(s\)$/, "") : e.summary,
    // A CRM line is stamped when it was written; every other line with the event's own time.
    at: e.kind === "crm_sync" ? undefined : e.at.toISOString(),
  }));
  timeline.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const records = await db.select().from(schema.supportRecords);
  return { orders, contacts, timeline, records };
}

describe("marketplace orders end to end through ingest", () => {
  const hubspotA = new FakeHubspot();
  const hubspotB = new FakeHubspot();
  const logs: string[] = [];
  let a: System;
  let b: System;
  beforeAll(async () => {
    await Promise.all([hubspotA.start(), hubspotB.start()]);
    [a, b] = await Promise.all([start("orders-a", hubspotA, logs), start("orders-b", hubspotB)]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await Promise.all([hubspotA.close(), hubspotB.close()]);
  });

  it("a purchase makes one order row, paid, one CRM update for the buyer and no support record; 20 of them, each event three times and shuffled, end the same", async () => {
    const [first, ...rest] = ORDERS;
    if (!first) throw new Error("no orders");
    // One purchase alone first, in the order Stripe sends it.
    for (const d of purchase(first, T0)) expect((await send(a, d)).status).toBe(202);
    await a.waitForIdle();
    const [row, ...more] = await a.dbHandle.db.select().from(schema.orders);
    expect(more).toHaveLength(0);
    expect(row).toMatchObject({
      appOrderId: first.orderId,
      state: "paid",
      amount: first.amount,
      checkoutSessionId: first.session,
      paymentIntentId: first.paymentIntent,
      chargeId: first.charge,
      sellerAccountId: first.seller?.stripeAccountId,
      applicationFee: first.applicationFee,
    });
    expect(hubspotA.upserts().filter((r) => JSON.stringify(r.body).includes(first.buyer.email))).toHaveLength(1);
    expect(hubspotA.contacts.get(first.buyer.email)?.properties).toMatchObject({
      lifecyclestage: "customer",
      switchyard_orders_count: "1",
      switchyard_lifetime_value: String(first.amount),
      switchyard_last_order_date: "2026-11-30",
      switchyard_role: "buyer",
    });
    expect(await a.dbHandle.db.select().from(schema.supportRecords)).toEqual([]);

    // The rest in order on A; on B everything three times, shuffled, 16 requests at a time.
    const inOrder = async () => {
      for (const o of rest)
        for (const d of purchase(o, T0 + ORDERS.indexOf(o) * 60)) expect((await send(a, d)).status).toBe(202);
    };
    const thrice = shuffled(DELIVERIES.flatMap((d) => [d, d, d]));
    const shuffledConcurrently = async () => {
      for (let i = 0; i < thrice.length; i += 16) {
        const answers = await Promise.all(thrice.slice(i, i + 16).map((d) => send(b, d)));
        for (const res of answers) expect([200, 202]).toContain(res.status);
      }
    };
    await Promise.all([inOrder(), shuffledConcurrently()]);
    await Promise.all([a.waitForIdle(30_000), b.waitForIdle(30_000)]);
    expect(await failedJobs(a)).toEqual([]);
    expect(await failedJobs(b)).toEqual([]);

    const [sa, sb] = await Promise.all([snapshot(a, hubspotA), snapshot(b, hubspotB)]);
    expect(sa.orders).toHaveLength(20);
    expect(sa.orders.every((o) => o.state === "paid")).toBe(true);
    expect(sb.orders).toEqual(sa.orders);
    expect(sb.contacts).toEqual(sa.contacts);
    expect(sb.timeline).toEqual(sa.timeline);
    expect(sa.records).toEqual([]);
    expect(sb.records).toEqual([]);
    // Each paid order is one CRM write for its buyer, wherever its events landed.
    const buyer0 = BUYERS[0]?.email ?? "";
    expect(sb.contacts[buyer0]).toMatchObject({ writes: 3, properties: { switchyard_orders_count: "3" } });
    expect(sb.contacts[SELLERS[0]?.email ?? ""]?.properties).toMatchObject({ switchyard_role: "seller" });
  }, 120_000);

  const orderOf = async (sys: System, orderId: string) =>
    (await sys.dbHandle.db.select().from(schema.orders).where(eq(schema.orders.appOrderId, orderId)))[0];
  const recordsOf = async (sys: System, kind: string) =>
    (await sys.dbHandle.db.select().from(schema.supportRecords)).filter((r) => r.kind === kind);
  const paid = async (o: OrderFixture, t: number) => {
    for (const d of purchase(o, t)) expect((await send(a, d)).status).toBe(202);
    await a.waitForIdle();
  };
  const stripe = async (body: object, secret = KEYS.stripe) => {
    const res = await send(a, { kind: "stripe", body }, secret);
    await a.waitForIdle();
    return res;
  };
  const buyer = (n: number) => ({ userId: `u-late-${n}`, email: `late${n}@example.com` });
  const T1 = T0 + 3_600;

  it("a refund after payment is refunded, a partial one partially_refunded", async () => {
    const full = orderFixture({ buyer: buyer(1), amount: 5_000 });
    const part = orderFixture({ buyer: buyer(2), amount: 5_000 });
    await paid(full, T1);
    await paid(part, T1);
    await stripe(chargeEvent(full, "charge.refunded", { created: T1 + 60 }));
    await stripe(chargeEvent(part, "charge.refunded", { created: T1 + 60, amountRefunded: 1_500 }));
    expect(await orderOf(a, full.orderId)).toMatchObject({ state: "refunded", amountRefunded: 5_000 });
    expect(await orderOf(a, part.orderId)).toMatchObject({ state: "partially_refunded", amountRefunded: 1_500 });
    // The rest of the partial refund, later: refunded.
    await stripe(chargeEvent(part, "charge.refunded", { created: T1 + 120, amountRefunded: 5_000 }));
    expect((await orderOf(a, part.orderId))?.state).toBe("refunded");
  });

  it("a dispute is disputed with one support record and one alert, however often it arrives; won closes it", async () => {
    const o = orderFixture({ buyer: buyer(3), amount: 7_000 });
    await paid(o, T1);
    const opened = disputeEvent(o, "charge.dispute.created", { created: T1 + 600 });
    expect((await stripe(opened)).status).toBe(202);
    // Stripe retries the delivery (same event) and a second event names the same dispute.
    expect((await stripe(opened)).status).toBe(200);
    await stripe(disputeEvent(o, "charge.dispute.created", { created: T1 + 601 }));
    expect(await orderOf(a, o.orderId)).toMatchObject({ state: "disputed", disputeId: `dp_${o.charge.slice(3)}` });
    const records = (await recordsOf(a, "dispute_opened")).filter((r) => r.summary.includes(o.orderId));
    expect(records).toHaveLength(1);
    const alerts = logs.filter((l) => l.includes('"msg":"alert"') && l.includes(o.orderId));
    expect(alerts).toHaveLength(1);
    await stripe(disputeEvent(o, "charge.dispute.closed", { created: T1 + 9_000, status: "won" }));
    expect((await orderOf(a, o.orderId))?.state).toBe("dispute_won");
    const story = await a.dbHandle.db
      .select()
      .from(schema.customerTimeline)
      .where(eq(schema.customerTimeline.kind, "state_change"));
    const transitions = story.filter((e) => e.summary.startsWith(`order ${o.orderId}:`)).map((e) => e.summary);
    expect(transitions.sort()).toEqual(
      [
        `order ${o.orderId}: pending → paid`,
        `order ${o.orderId}: paid → disputed`,
        `order ${o.orderId}: disputed → dispute_won`,
      ].sort(),
    );
  });

  it("an older payment_intent.payment_failed delivered after the success does not revert paid", async () => {
    const o = orderFixture({ buyer: buyer(4) });
    await paid(o, T1);
    await stripe(paymentIntentEvent(o, "payment_intent.payment_failed", T1 - 30));
    expect((await orderOf(a, o.orderId))?.state).toBe("paid");
  });

  it("a Connect account.updated with requirements due opens one record for the seller and shows on their ticket; the platform's secret is refused", async () => {
    const seller = SELLERS[1];
    if (!seller) throw new Error("no seller");
    const before = (await a.dbHandle.db.select().from(schema.events)).length;
    const due = accountUpdated(seller.stripeAccountId, { currentlyDue: ["external_account", "individual.id_number"] });
    // Signed with the platform endpoint's secret instead of the Connect endpoint's: refused, nothing written.
    expect((await stripe(due, KEYS.stripe)).status).toBe(401);
    expect(await a.dbHandle.db.select().from(schema.events)).toHaveLength(before);
    expect(await recordsOf(a, "requirements_due")).toEqual([]);

    expect((await stripe(due, CONNECT_SECRET)).status).toBe(202);
    await stripe({ ...due, id: `${due.id}_again`, created: due.created + 1 }, CONNECT_SECRET);
    const [sellerRow] = await a.dbHandle.db
      .select()
      .from(schema.customers)
      .where(eq(schema.customers.email, seller.email));
    const records = await recordsOf(a, "requirements_due");
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ customerId: sellerRow?.id, accountId: seller.stripeAccountId });

    const ticket = {
      type: "support.requested",
      data: { userId: seller.userId, subject: "Payouts", message: "Where is my money?" },
    };
    const res = await send(a, { kind: "app", body: ticket });
    expect(res.status).toBe(202);
    await a.waitForIdle();
    const note = await notesOn(a, res);
    expect(note).toContain(`Seller (Stripe Connect ${seller.stripeAccountId})`);
    expect(note).toContain("requirements due: external_account, individual.id_number");
  });

  it("a mode=payment buyer's ticket context shows the last order and its payment id", async () => {
    const o = orderFixture({ buyer: buyer(5), amount: 4_200 });
    await paid(o, T1);
    const ticket = {
      type: "support.requested",
      data: { userId: o.buyer.userId, subject: "Order", message: "Did my order go through?" },
    };
    const res = await send(a, { kind: "app", body: ticket });
    expect(res.status).toBe(202);
    await a.waitForIdle();
    const note = await notesOn(a, res);
    expect(note).toContain(`Last order: ${o.orderId} · paid · 42.00 USD`);
    expect(note).toContain(`payment ${o.paymentIntent}`);
    expect(await failedJobs(a)).toEqual([]);
  });
});

/** The context notes support-context wrote on the app ticket a support.requested event opened. */
async function notesOn(sys: System, res: Response): Promise<string> {
  const { eventId } = (await res.json()) as { eventId: string };
  const db = sys.dbHandle.db;
  const [ticket] = await db
    .select()
    .from(schema.supportTickets)
    .where(eq(schema.supportTickets.externalId, `app-${eventId}`));
  const notes = await db
    .select()
    .from(schema.supportNotes)
    .where(eq(schema.supportNotes.ticketId, ticket?.id ?? ""));
  return notes.map((n) => n.body).join("\n---\n");
}
