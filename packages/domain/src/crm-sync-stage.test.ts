import { hubspotCrm } from "@switchyard/connectors";
import { createDb, type DbHandle, type DeliveryRef, recordEvent, runMigrations } from "@switchyard/db";
import { ChargeEvent, PaymentIntentEvent } from "@switchyard/events";
import {
  chargeEvent,
  createTestDatabase,
  FakeHubspot,
  orderCreatedEvent,
  orderFixture,
  paymentIntentEvent,
  type TestDatabase,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syncContact } from "./crm-sync.ts";
import { startCustomerRead, startSignup, writeContact } from "./crm-sync-hot.ts";
import { syncOrderContact } from "./order-crm.ts";
import { chargeOrderInput, orderCreatedInput, paymentIntentOrderInput } from "./order-facts.ts";
import { applyOrderEvent } from "./orders.ts";
import { overrideCustomerStatus } from "./overrides.ts";

const T = 1_800_000_000;
let testDb: TestDatabase;
let handle: DbHandle;
let fake: FakeHubspot;
beforeAll(async () => {
  testDb = await createTestDatabase("crm_stage");
  handle = await createDb({ databaseUrl: testDb.url });
  await runMigrations(handle);
  fake = await FakeHubspot.start({ token: "pat-stage" });
});
afterAll(async () => {
  await fake?.close();
  await handle?.close();
  await testDb?.drop();
});

let n = 0;
/** A crm-sync delivery of its own event, as the worker's job would start it. */
async function job(type: string) {
  n += 1;
  const { event } = await recordEvent(handle.db, {
    source: "app",
    sourceEventId: `stage-${n}`,
    type,
    payload: {},
    payloadHash: "h",
    status: "received",
    queues: ["crm-sync"],
    receivedAt: new Date(Date.now() - 1_000),
  });
  const ref: DeliveryRef = {
    consumer: `crm-sync/${type}`,
    eventId: event.id,
    queue: "crm-sync",
    jobId: `evt-${event.id}`,
  };
  return { ref, opts: { eventId: event.id, idempotencyKey: `${event.id}-contact` } };
}

describe("a buyer's CRM stage in every crm-sync job", () => {
  it("one paid order and no subscription is a customer, and no later job moves the contact back", async () => {
    const crm = hubspotCrm({ token: "pat-stage", baseUrl: fake.url, timeoutMs: 2_000 });
    const o = orderFixture({ orderId: "ord_stage_1", buyer: { userId: "u-stage-1", email: "buyer@example.com" } });
    const created = { ...orderCreatedEvent(o), occurredAt: new Date(T * 1000).toISOString() };
    await applyOrderEvent(
      handle.db,
      "0190a000-0000-7000-8000-00000000aa01",
      "app.order.created",
      orderCreatedInput(created as never, new Date().toISOString()),
      { fromApp: true },
    );
    const paid = await applyOrderEvent(
      handle.db,
      "0190a000-0000-7000-8000-00000000aa02",
      "stripe.payment_intent.succeeded",
      paymentIntentOrderInput(PaymentIntentEvent.parse(paymentIntentEvent(o, "payment_intent.succeeded", T + 2))),
    );
    expect(paid?.state).toBe("paid");
    const buyerId = paid?.buyerId;
    if (!buyerId) throw new Error("no buyer");
    const contact = () => fake.contacts.get("buyer@example.com")?.properties;
    const stages = () =>
      fake
        .upserts()
        .map(
          (r) => (r.body as { inputs: { properties: Record<string, string> }[] }).inputs[0]?.properties.lifecyclestage,
        );

    const order = await job("switchyard.order.changed");
    expect((await syncOrderContact(handle.db, crm, buyerId, order.opts)).stage).toBe("customer");
    expect(contact()).toMatchObject({
      lifecyclestage: "customer",
      switchyard_lifecycle: "customer",
      switchyard_orders_count: "1",
    });

    // A customer change (billing, an operator's override) after the order: the same stage, one write each.
    const changed = async () => {
      const { ref, opts } = await job("switchyard.customer.changed");
      const read = await startCustomerRead(handle.db, ref, buyerId);
      if (!read.customer) throw new Error("no customer");
      return (await writeContact(handle.db, crm, ref, read.customer, opts)).result.stage;
    };
    expect(await changed()).toBe("customer");
    await overrideCustomerStatus(handle.db, buyerId, "not_entitled", { actor: "ops", reason: "test", auditKey: "s-1" });
    expect(await changed()).toBe("customer");
    await overrideCustomerStatus(handle.db, buyerId, null, { actor: "ops", reason: "test", auditKey: "s-2" });
    expect(await changed()).toBe("customer");

    // The app's signup delivered after the order found the buyer: still a customer.
    const signup = await job("app.user.signed_up");
    const started = await startSignup(
      handle.db,
      signup.ref,
      { userId: "u-stage-1", email: "buyer@example.com" },
      new Date(),
    );
    if (!started.customer) throw new Error("no customer");
    expect((await writeContact(handle.db, crm, signup.ref, started.customer, signup.opts)).result.stage).toBe(
      "customer",
    );

    // A full refund keeps the paid order counted (lifecycle.ts says why); so does the fallback path.
    await applyOrderEvent(
      handle.db,
      "0190a000-0000-7000-8000-00000000aa03",
      "stripe.charge.refunded",
      chargeOrderInput(
        ChargeEvent.parse(chargeEvent(o, "charge.refunded", { created: T + 10, amountRefunded: o.amount })),
      ),
    );
    const fallback = await job("switchyard.customer.changed");
    expect((await syncContact(handle.db, crm, buyerId, fallback.opts)).stage).toBe("customer");

    // Six jobs, six upserts, each of `customer`: never a clear ("") nor a `lead` sent to HubSpot.
    expect(stages()).toEqual(Array(6).fill("customer"));
    expect(contact()).toMatchObject({ lifecyclestage: "customer", switchyard_lifecycle: "customer" });
  });
});
