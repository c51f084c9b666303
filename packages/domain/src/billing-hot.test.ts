import { createDb, type Db, type DbHandle, type DeliveryRef, rowsOf, runMigrations, sql } from "@switchyard/db";
import { CheckoutSessionCompleted, InvoiceEvent, SubscriptionEvent } from "@switchyard/events";
import {
  checkoutCompleted,
  createTestDatabase,
  invoicePaid,
  subscriptionUpdated,
  type TestDatabase,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyBillingFacts, deliverBillingFacts } from "./billing.ts";
import { checkoutFacts, invoiceFacts, subscriptionFacts } from "./billing-facts.ts";
import { recordedDelivery } from "./testing/delivery.ts";

const T = 1_800_000_000;

describe.each(["postgres", "pglite"] as const)("billing changes without the lock on %s", (driver) => {
  let testDb: TestDatabase | undefined;
  let handle: DbHandle;
  beforeAll(async () => {
    testDb = driver === "postgres" ? await createTestDatabase("billing_hot") : undefined;
    handle = await createDb(testDb ? { databaseUrl: testDb.url } : { dataDir: "memory://" });
    await runMigrations(handle);
  });
  afterAll(async () => {
    await handle.close();
    await testDb?.drop();
  });
  const eventId = () => crypto.randomUUID();
  const stateOf = async (customer: string, db: Db = handle.db) =>
    rowsOf<Record<string, unknown>>(
      await db.execute(sql`select external_id, plan, subscription_status, entitled, last_payment_amount,
        (select count(*)::int from customer_timeline t where t.customer_id = c.id) as lines
        from customers c where stripe_customer_id = ${customer}`),
    );

  /** A checkout linking the user's row, a subscription change and an invoice, on `db`. */
  async function story(db: Db, tag: string) {
    const cus = `cus_${tag}_${driver}`;
    const [user, email] = [`u-${tag}-${driver}`, `${tag}-${driver}@x.io`];
    await db.execute(sql`insert into customers (external_id, email) values (${user}, ${email})`);
    const checkout = CheckoutSessionCompleted.parse(
      checkoutCompleted({ customer: cus, userId: user, email, created: T }),
    );
    const sub = SubscriptionEvent.parse(
      subscriptionUpdated({ customer: cus, status: "active", plan: "pro", created: T + 1 }),
    );
    const paid = InvoiceEvent.parse(
      invoicePaid({ customer: cus, plan: "pro", amount: 4_900, created: T + 2, charge: "ch_story" }),
    );
    const outcomes = [
      await applyBillingFacts(db, eventId(), "stripe.checkout.session.completed", checkoutFacts(checkout)),
      await applyBillingFacts(db, eventId(), "stripe.customer.subscription.updated", subscriptionFacts(sub)),
      await applyBillingFacts(db, eventId(), "stripe.invoice.paid", invoiceFacts(paid), { waitForLink: true }),
    ];
    const [state] = await stateOf(cus, db);
    const lines = rowsOf<{ kind: string; summary: string; details: unknown }>(
      await db.execute(sql`select t.kind, t.summary, t.details #- '{payment,id}' as details from customer_timeline t
        join customers c on c.id = t.customer_id where c.stripe_customer_id = ${cus} order by t.id`),
    );
    return { outcomes: outcomes.map(({ crmRelevant, stateChanged }) => ({ crmRelevant, stateChanged })), state, lines };
  }

  it("a customer's story ends as under the lock: the same state, outcomes and timeline lines", async () => {
    const hot = await story(handle.db, "hot");
    // A transaction's db has no pool to send fixed statements on: it takes the locking path.
    const locked = await handle.db.transaction((tx) => story(tx as unknown as Db, "locked"));
    expect(hot.state).toMatchObject({
      plan: "pro",
      subscription_status: "active",
      entitled: true,
      last_payment_amount: 4_900,
    });
    expect({ ...hot, state: { ...hot.state, external_id: null } }).toEqual({
      ...locked,
      state: { ...locked.state, external_id: null },
    });
  });

  it("events of one customer applied at the same moment end in the state of any one-by-one order", async () => {
    const cus = `cus_race_${driver}`;
    await handle.db.execute(
      sql`insert into customers (stripe_customer_id, email) values (${cus}, ${`r-${driver}@x.io`})`,
    );
    const events = [
      SubscriptionEvent.parse(subscriptionUpdated({ customer: cus, status: "past_due", plan: "pro", created: T + 10 })),
      SubscriptionEvent.parse(subscriptionUpdated({ customer: cus, status: "active", plan: "team", created: T + 20 })),
      SubscriptionEvent.parse(subscriptionUpdated({ customer: cus, status: "trialing", plan: "pro", created: T + 5 })),
    ];
    await Promise.all(
      events.map((e) =>
        applyBillingFacts(handle.db, eventId(), "stripe.customer.subscription.updated", subscriptionFacts(e)),
      ),
    );
    const [state] = await stateOf(cus);
    expect(state).toMatchObject({ plan: "team", subscription_status: "active", entitled: true });
  });

  it("an invoice for a Stripe customer nobody is linked to waits for its checkout on the first run", async () => {
    const paid = InvoiceEvent.parse(invoicePaid({ customer: `cus_unlinked_${driver}`, created: T }));
    await expect(
      applyBillingFacts(handle.db, eventId(), "stripe.invoice.paid", invoiceFacts(paid), { waitForLink: true }),
    ).rejects.toThrow(/not linked to a user yet/);
    // The last run creates it.
    const outcome = await applyBillingFacts(handle.db, eventId(), "stripe.invoice.paid", invoiceFacts(paid));
    expect(outcome.customerId).toMatch(/^[0-9a-f-]{36}$/);
  });

  describe("a billing job that owns its ledger", () => {
    const stripeEvent = (key: string, type: string, queues = ["billing-sync"]) =>
      recordedDelivery(handle.db, { source: "stripe", sourceEventId: `${key}-${driver}`, type, queues });
    const deliveryOf = async (ref: DeliveryRef) =>
      (
        await rowsOf<{ status: string; attempts: number; result: unknown }>(
          await handle.db.execute(
            sql`select status, attempts, result from deliveries where consumer = ${ref.consumer} and event_id = ${ref.eventId}`,
          ),
        )
      )[0];
    const eventStatus = async (ref: DeliveryRef) =>
      (
        await rowsOf<{ status: string }>(
          await handle.db.execute(sql`select status from events where id = ${ref.eventId}`),
        )
      )[0]?.status;
    const never = () => false;
    /** What the worker records beside the outcome: here the attempt that completed it. */
    const record = (_o: unknown, _f: unknown, attempt: number) => ({ completedOn: attempt });

    it("an invoice is applied, its delivery completed with the outcome and its event settled; run again, it reports that outcome", async () => {
      const cus = `cus_owned_${driver}`;
      await handle.db.execute(
        sql`insert into customers (stripe_customer_id, email) values (${cus}, ${`o-${driver}@x.io`})`,
      );
      const { ref, receivedAt } = await stripeEvent("in_owned", "stripe.invoice.paid");
      const paid = InvoiceEvent.parse(invoicePaid({ customer: cus, plan: "pro", amount: 2_500, created: T }));
      const done = await deliverBillingFacts(handle.db, ref, "stripe.invoice.paid", invoiceFacts(paid), {
        waitForLink: never,
        record,
      });
      if (done.attempt === undefined) throw new Error("not started");
      expect(done.attempt).toBe(1);
      expect(done.outcome).toMatchObject({ stateChanged: true, crmRelevant: true });
      expect(done.completion).toEqual({ settled: { source: "stripe", receivedAt }, settleAfter: false });
      expect(done.recorded).toEqual({ ...done.outcome, completedOn: 1 });
      expect(await deliveryOf(ref)).toEqual({ status: "completed", attempts: 1, result: done.recorded });
      expect(await eventStatus(ref)).toBe("processed");
      const [state] = await stateOf(cus);
      expect(state).toMatchObject({ plan: "pro", last_payment_amount: 2_500, lines: 2 });

      const again = await deliverBillingFacts(handle.db, ref, "stripe.invoice.paid", invoiceFacts(paid), {
        waitForLink: never,
        record,
      });
      expect(again).toEqual({ attempt: undefined, previous: done.recorded });
      expect((await stateOf(cus))[0]).toEqual(state);
    });

    it("Stripe's objects are read once the delivery has started, never for one completed; a key they add takes the lock", async () => {
      const cus = `cus_owned_stripe_${driver}`;
      const email = `s-${driver}@x.io`;
      await handle.db.execute(sql`insert into customers (external_id, email) values (${`u-s-${driver}`}, ${email})`);
      const { ref } = await stripeEvent("in_owned_stripe", "stripe.invoice.paid");
      const fromEvent = invoiceFacts(InvoiceEvent.parse(invoicePaid({ customer: cus, plan: "pro", created: T })));
      // Stripe's current invoice names the customer's email, which the event did not carry.
      const current = { ...fromEvent, keys: { ...fromEvent.keys, email } };
      let reads = 0;
      const facts = async () => {
        reads++;
        return current;
      };
      const done = await deliverBillingFacts(handle.db, ref, "stripe.invoice.paid", fromEvent, {
        facts,
        waitForLink: never,
        record,
      });
      expect(reads).toBe(1);
      if (done.attempt === undefined) throw new Error("not started");
      // Found by the email under the lock and linked to the Stripe customer: no second row.
      const rows = await rowsOf<{ stripe_customer_id: string | null }>(
        await handle.db.execute(sql`select stripe_customer_id from customers where email = ${email}`),
      );
      expect(rows).toEqual([{ stripe_customer_id: cus }]);
      expect(await deliveryOf(ref)).toMatchObject({ status: "completed", result: done.recorded });
      const again = await deliverBillingFacts(handle.db, ref, "stripe.invoice.paid", fromEvent, {
        facts,
        waitForLink: never,
        record,
      });
      expect(again.attempt).toBeUndefined();
      expect(reads).toBe(1);
    });

    it("a customer to create is inserted by the write, which completes the delivery; one shared with another queue is settled by the runtime", async () => {
      const cus = `cus_owned_new_${driver}`;
      const { ref } = await stripeEvent("sub_owned_new", "stripe.customer.subscription.updated", [
        "billing-sync",
        "support-context",
      ]);
      const sub = SubscriptionEvent.parse(
        subscriptionUpdated({ customer: cus, status: "active", plan: "pro", created: T }),
      );
      const done = await deliverBillingFacts(
        handle.db,
        ref,
        "stripe.customer.subscription.updated",
        subscriptionFacts(sub),
        { waitForLink: never, record },
      );
      if (done.attempt === undefined) throw new Error("not started");
      expect(done.completion).toEqual({ settled: undefined, settleAfter: true });
      expect(await deliveryOf(ref)).toMatchObject({ status: "completed", result: done.recorded });
      expect(await eventStatus(ref)).toBe("received");
      expect((await stateOf(cus))[0]).toMatchObject({ plan: "pro", subscription_status: "active" });
    });

    it("a new customer's checkout and subscription changes at the same moment make one customer, in the state of any one-by-one order", async () => {
      const cus = `cus_owned_race_${driver}`;
      const [user, email] = [`u-race-${driver}`, `race-${driver}@x.io`];
      const checkout = CheckoutSessionCompleted.parse(
        checkoutCompleted({ customer: cus, userId: user, email, created: T }),
      );
      const change = (status: string, plan: string, at: number) =>
        subscriptionFacts(SubscriptionEvent.parse(subscriptionUpdated({ customer: cus, status, plan, created: at })));
      const jobs = [
        { type: "stripe.checkout.session.completed", facts: checkoutFacts(checkout) },
        { type: "stripe.customer.subscription.updated", facts: change("active", "pro", T + 10) },
        { type: "stripe.customer.subscription.updated", facts: change("past_due", "team", T + 20) },
      ];
      const refs = await Promise.all(jobs.map((j, i) => stripeEvent(`race_${i}`, j.type)));
      const done = await Promise.all(
        jobs.map((j, i) =>
          deliverBillingFacts(handle.db, (refs[i] as { ref: DeliveryRef }).ref, j.type, j.facts, {
            waitForLink: never,
            record,
          }),
        ),
      );
      const rows = await rowsOf<{ id: string; external_id: string; email: string }>(
        await handle.db.execute(sql`select id::text, external_id, email from customers
          where stripe_customer_id = ${cus} or external_id = ${user} or email = ${email}`),
      );
      expect(rows).toEqual([{ id: expect.any(String), external_id: user, email }]);
      // Each job's outcome names the row that exists, not the one a losing insert planned.
      for (const d of done) expect(d.attempt === undefined ? undefined : d.outcome.customerId).toBe(rows[0]?.id);
      expect((await stateOf(cus))[0]).toMatchObject({ plan: "team", subscription_status: "past_due" });
      for (const { ref } of refs) expect(await deliveryOf(ref)).toMatchObject({ status: "completed" });
    });

    it("an invoice whose customer is not linked waits on its first run, started; the next run applies it", async () => {
      const cus = `cus_owned_unlinked_${driver}`;
      const { ref } = await stripeEvent("in_owned_unlinked", "stripe.invoice.paid");
      const paid = InvoiceEvent.parse(invoicePaid({ customer: cus, created: T }));
      const firstOnly = (attempt: number) => attempt === 1;
      await expect(
        deliverBillingFacts(handle.db, ref, "stripe.invoice.paid", invoiceFacts(paid), {
          waitForLink: firstOnly,
          record,
        }),
      ).rejects.toThrow(/not linked to a user yet/);
      expect(await deliveryOf(ref)).toMatchObject({ status: "started", attempts: 1 });
      const done = await deliverBillingFacts(handle.db, ref, "stripe.invoice.paid", invoiceFacts(paid), {
        waitForLink: firstOnly,
        record,
      });
      expect(done.attempt).toBe(2);
      expect(await deliveryOf(ref)).toMatchObject({ status: "completed", attempts: 2 });
    });
  });
});
