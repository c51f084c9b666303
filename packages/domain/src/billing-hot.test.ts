import { createDb, type Db, type DbHandle, rowsOf, runMigrations, sql } from "@switchyard/db";
import { CheckoutSessionCompleted, InvoiceEvent, SubscriptionEvent } from "@switchyard/events";
import {
  checkoutCompleted,
  createTestDatabase,
  invoicePaid,
  subscriptionUpdated,
  type TestDatabase,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyBillingFacts } from "./billing.ts";
import { checkoutFacts, invoiceFacts, subscriptionFacts } from "./billing-facts.ts";

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
});
