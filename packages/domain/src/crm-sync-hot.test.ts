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

  it("a new user's signup on the local CRM is one statement, writing what the two statements write", async () => {
    const signupOf = (n: string) => ({ userId: `u-one-${n}-${driver}`, email: `one-${n}-${driver}@x.io` });
    const one = await signupEvent(`hot-one-${driver}`);
    const started = await startSignup(handle.db, one.ref, signupOf("a"), one.receivedAt, { localContact: true });
    expect(started.attempt).toBe(1);
    expect(started.written?.result).toEqual({ contactId: expect.any(String), stage: "lead", created: true });
    expect(started.written?.completion).toEqual({
      settled: { source: "app", receivedAt: one.receivedAt },
      settleAfter: false,
    });
    const two = await signupEvent(`hot-two-${driver}`);
    const first = await startSignup(handle.db, two.ref, signupOf("b"), two.receivedAt);
    if (!first.customer) throw new Error("no customer");
    const second = await writeContact(handle.db, crm(), two.ref, first.customer, opts);

    /** Everything the signup wrote, with the ids and names that differ between the two left out. */
    const written = async (eventId: string) => ({
      lines:
        await rows(sql`select kind, summary, details - 'contactId' as details, at >= now() - interval '1 minute' as recent,
          dedupe_key like 'crm:%' or dedupe_key like 'event:%' as keyed
        from customer_timeline where event_id = ${eventId} order by at, id`),
      contact:
        await rows(sql`select k.lifecycle_stage, k.plan, k.writes, k.email = c.email as email, k.external_id = c.external_id as ext
        from crm_contacts k join customers c on c.id = k.customer_id
        join customer_timeline t on t.customer_id = c.id and t.event_id = ${eventId} and t.kind = 'event'`),
      delivery: await rows(
        sql`select status, attempts, result - 'contactId' as result from deliveries where event_id = ${eventId}`,
      ),
      event: await rows(sql`select status from events where id = ${eventId}`),
    });
    expect(await written(one.event.id)).toEqual(await written(two.event.id));
    expect(second.result).toEqual({ ...(started.written?.result ?? {}), contactId: second.result.contactId });

    // Delivered again: nothing runs.
    const again = await startSignup(handle.db, one.ref, signupOf("a"), one.receivedAt, { localContact: true });
    expect(again).toEqual({ attempt: undefined, customer: undefined });
  });

  it("two runs of one signup at the same moment on the local CRM write one customer, one contact, one completion", async () => {
    const { event, ref, receivedAt } = await signupEvent(`hot-twice-one-${driver}`);
    const signup = { userId: `u-twice-${driver}`, email: `twice-${driver}@x.io` };
    const runs = await Promise.all([
      startSignup(handle.db, ref, signup, receivedAt, { localContact: true }),
      startSignup(handle.db, ref, signup, receivedAt, { localContact: true }),
    ]);
    // One wrote it all; the other found it done, or (PGlite runs them one after the other) never started.
    expect(runs.filter((r) => r.written).length).toBe(1);
    expect(runs.filter((r) => r.attempt === undefined).length).toBe(1);
    const [counts] = await rows<{ customers: number; contacts: number; lines: number }>(sql`select
      (select count(*)::int from customers where external_id = ${signup.userId}) as customers,
      (select count(*)::int from crm_contacts where external_id = ${signup.userId}) as contacts,
      (select count(*)::int from customer_timeline where event_id = ${event.id}) as lines`);
    expect(counts).toEqual({ customers: 1, contacts: 1, lines: 2 });
    const [delivery] = await rows<{ status: string; attempts: number }>(
      sql`select status, attempts from deliveries where event_id = ${event.id}`,
    );
    expect(delivery).toEqual({ status: "completed", attempts: 1 });
  });

  it("a signup on the local CRM that finds its customer leaves the contact to the second statement", async () => {
    const email = `found-one-${driver}@x.io`;
    await handle.db.execute(sql`insert into customers (email, plan, subscription_status, last_payment_at)
      values (${email}, 'pro', 'active', now())`);
    const { ref, receivedAt } = await signupEvent(`hot-found-one-${driver}`);
    const started = await startSignup(handle.db, ref, { userId: `u-found-${driver}`, email }, receivedAt, {
      localContact: true,
    });
    expect(started.written).toBeUndefined();
    if (!started.customer) throw new Error("no customer");
    const written = await writeContact(handle.db, crm(), ref, started.customer, opts);
    expect(written.result).toMatchObject({ stage: "customer", created: true });
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
