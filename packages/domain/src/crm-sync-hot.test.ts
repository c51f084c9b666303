import { localCrm } from "@switchyard/connectors";
import { createDb, type DbHandle, rowsOf, runMigrations, sql } from "@switchyard/db";
import { createTestDatabase, type TestDatabase } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCustomerRead, startSignup, writeContact } from "./crm-sync-hot.ts";
import { recordedDelivery } from "./testing/delivery.ts";

describe.each(["postgres", "pglite"] as const)("crm-sync's two statements on %s", (driver) => {
  let testDb: TestDatabase | undefined;
  let handle: DbHandle;
  beforeAll(async () => {
    testDb = driver === "postgres" ? await createTestDatabase("crm_hot") : undefined;
    handle = await createDb(testDb ? { databaseUrl: testDb.url } : { dataDir: "memory://" });
    await runMigrations(handle);
  });
  afterAll(async () => {
    await handle.close();
    await testDb?.drop();
  });

  const signupEvent = (key: string, queues = ["crm-sync"]) =>
    recordedDelivery(handle.db, { source: "app", sourceEventId: key, type: "app.user.signed_up", queues });
  const rows = async <T>(query: ReturnType<typeof sql>) => rowsOf<T>(await handle.db.execute(query));
  const crm = () => localCrm(handle.db);
  const opts = { idempotencyKey: "k" };

  it("a signup is a customer, two timeline lines, one contact, the delivery completed and the event settled", async () => {
    const { event, ref, receivedAt } = await signupEvent(`hot-1-${driver}`);
    const started = await startSignup(
      handle.db,
      ref,
      { userId: `u1-${driver}`, email: ` Ada-${driver}@X.io ` },
      receivedAt,
    );
    expect(started.attempt).toBe(1);
    expect(started.customer).toMatchObject({ externalId: `u1-${driver}`, email: `ada-${driver}@x.io`, plan: null });
    const customer = started.customer;
    if (!customer) throw new Error("no customer");
    const written = await writeContact(handle.db, crm(), ref, customer, opts);
    expect(written.result).toMatchObject({ stage: "lead", created: true });
    expect(written.completion).toEqual({ settled: { source: "app", receivedAt }, settleAfter: false });

    const lines = await rows<{ kind: string; summary: string }>(
      sql`select kind, summary from customer_timeline where event_id = ${event.id} order by id`,
    );
    expect(lines).toEqual([
      { kind: "event", summary: "user.signed_up" },
      { kind: "crm_sync", summary: "contact created in local CRM: lead" },
    ]);
    const [delivery] = await rows<{ status: string; result: unknown }>(
      sql`select status, result from deliveries where event_id = ${event.id}`,
    );
    expect(delivery?.status).toBe("completed");
    const [ev] = await rows<{ status: string }>(sql`select status from events where id = ${event.id}`);
    expect(ev?.status).toBe("processed");

    // Delivered again (a crash before BullMQ heard): nothing runs, nothing is written twice.
    const again = await startSignup(
      handle.db,
      ref,
      { userId: `u1-${driver}`, email: `ada-${driver}@x.io` },
      receivedAt,
    );
    expect(again).toEqual({ attempt: undefined, customer: undefined });
    const [count] = await rows<{ n: number }>(
      sql`select count(*)::int as n from customer_timeline where event_id = ${event.id}`,
    );
    expect(count?.n).toBe(2);
  });

  it("a signup finds the customer billing made by email, fills in the user id, and an unchanged contact is not written", async () => {
    const email = `grace-${driver}@x.io`;
    await handle.db.execute(
      sql`insert into customers (email, stripe_customer_id, plan) values (${email}, ${`cus_${driver}`}, 'pro')`,
    );
    const { ref, receivedAt } = await signupEvent(`hot-2-${driver}`);
    const started = await startSignup(handle.db, ref, { userId: `u2-${driver}`, email, name: "Grace" }, receivedAt);
    expect(started.customer).toMatchObject({ externalId: `u2-${driver}`, email, plan: "pro" });
    const [row] = await rows<{ n: number; name: string }>(
      sql`select count(*) over ()::int as n, name from customers where email = ${email}`,
    );
    expect(row).toEqual({ n: 1, name: "Grace" });
    const customer = started.customer;
    if (!customer) throw new Error("no customer");
    const first = await writeContact(handle.db, crm(), ref, customer, opts);
    expect(first.result.created).toBe(true);

    // The same customer through a follow-up job: the contact is as it was, so nothing changes.
    const follow = { ...ref, consumer: "crm-sync/switchyard.customer.changed", jobId: `${ref.jobId}-crm` };
    const read = await startCustomerRead(handle.db, follow, customer.id);
    expect(read.attempt).toBe(1);
    if (!read.customer) throw new Error("no customer");
    const second = await writeContact(handle.db, crm(), follow, read.customer, opts);
    expect(second.result).toEqual({ contactId: first.result.contactId, stage: "lead", created: false });
    // A follow-up job counts toward no settle.
    expect(second.completion).toEqual({ settled: undefined, settleAfter: false });
    const [contact] = await rows<{ writes: number }>(
      sql`select writes from crm_contacts where customer_id = ${customer.id}`,
    );
    expect(contact?.writes).toBe(1);
  });

  it("signups of one user at the same moment make one customer", async () => {
    const events = await Promise.all([1, 2, 3, 4].map((i) => signupEvent(`hot-3-${driver}-${i}`)));
    const results = await Promise.all(
      events.map(({ ref, receivedAt }) =>
        startSignup(handle.db, ref, { userId: `u3-${driver}`, email: `linus-${driver}@x.io` }, receivedAt),
      ),
    );
    // A statement that lost the race to create the row finds none: its caller's fallback finds it.
    const ids = new Set(results.map((r) => r.customer?.id).filter(Boolean));
    expect(ids.size).toBe(1);
    const [row] = await rows<{ n: number }>(
      sql`select count(*)::int as n from customers where external_id = ${`u3-${driver}`}`,
    );
    expect(row?.n).toBe(1);
  });

  it.runIf(driver === "postgres")(
    "a customer row another transaction holds is not waited for: the start commits, the customer is left to the lock",
    async () => {
      const user = `u5-${driver}`;
      await handle.db.execute(sql`insert into customers (external_id, email) values (${user}, ${`${user}@x.io`})`);
      const { ref, receivedAt } = await signupEvent(`hot-5-${driver}`);
      const holder = await createDb({ databaseUrl: testDb?.url ?? "" });
      let release = () => {};
      const held = holder.db.transaction(async (tx) => {
        await tx.execute(sql`select id from customers where external_id = ${user} for update`);
        await new Promise<void>((r) => {
          release = r;
        });
      });
      try {
        await new Promise((r) => setTimeout(r, 100));
        const started = await startSignup(handle.db, ref, { userId: user, email: `${user}@x.io` }, receivedAt);
        expect(started).toEqual({ attempt: 1, customer: undefined });
        const [delivery] = await rows<{ attempts: number }>(
          sql`select attempts from deliveries where event_id = ${ref.eventId}::uuid`,
        );
        expect(delivery?.attempts).toBe(1);
      } finally {
        release();
        await held;
        await holder.close();
      }
    },
  );

  it("an event another queue shares is left to a settle after the commit", async () => {
    const { ref, receivedAt } = await signupEvent(`hot-4-${driver}`, ["crm-sync", "ai-triage"]);
    const started = await startSignup(
      handle.db,
      ref,
      { userId: `u4-${driver}`, email: `ken-${driver}@x.io` },
      receivedAt,
    );
    if (!started.customer) throw new Error("no customer");
    const written = await writeContact(handle.db, crm(), ref, started.customer, opts);
    expect(written.completion).toEqual({ settled: undefined, settleAfter: true });
  });
});
