import { localDesk } from "@switchyard/connectors";
import { createDb, type DbHandle, recordEvent, rowsOf, runMigrations, sql } from "@switchyard/db";
import { createTestDatabase, type TestDatabase } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findCustomer } from "./customers.ts";
import { buildContext, contextKey, renderContext } from "./support-context.ts";
import { attachOnLocalDesk, startTicket, writeTicketNote } from "./support-hot.ts";
import { recordedDelivery } from "./testing/delivery.ts";
import type { TicketRef } from "./tickets.ts";

describe.each(["postgres", "pglite"] as const)("support-context's two statements on %s", (driver) => {
  let testDb: TestDatabase | undefined;
  let handle: DbHandle;
  beforeAll(async () => {
    testDb = driver === "postgres" ? await createTestDatabase("support_hot") : undefined;
    handle = await createDb(testDb ? { databaseUrl: testDb.url } : { dataDir: "memory://" });
    await runMigrations(handle);
  });
  afterAll(async () => {
    await handle.close();
    await testDb?.drop();
  });

  const rows = async <T>(query: ReturnType<typeof sql>) => rowsOf<T>(await handle.db.execute(query));
  const request = (key: string) =>
    recordedDelivery(handle.db, {
      source: "app",
      sourceEventId: key,
      type: "app.support.requested",
      queues: ["support-context", "ai-triage"],
    });
  const ticketFor = (eventId: string, userId: string | null, email: string | null): TicketRef => ({
    externalId: `app-${eventId}`,
    requesterEmail: email,
    subject: "Invoice question",
    message: "Where is my invoice?",
    userId,
  });
  const now = new Date("2026-12-04T10:00:00.000Z");

  /** A paying customer who logged in, had an automation fail, bought an order and sells on Connect. */
  async function richCustomer(tag: string) {
    const userId = `u-${tag}-${driver}`;
    const email = `${tag}-${driver}@x.io`;
    await handle.db.execute(sql`
      insert into customers (external_id, email, plan, subscription_status, entitled, last_payment_id,
        last_payment_transaction_id, last_payment_amount, last_payment_currency, last_payment_at)
      values (${userId}, ${email}, 'pro', 'active', true, 'in_1', 'ch_1', 4900, 'usd', '2026-12-01T09:30:00.123Z')`);
    const customer = await findCustomer(handle.db, { externalId: userId });
    if (!customer) throw new Error("no customer");
    for (const [type, data] of [
      ["app.user.logged_in", { userId, device: "iPhone 16", platform: "ios" }],
      ["app.automation.failed", { userId, step: "export" }],
    ] as const) {
      await recordEvent(handle.db, {
        source: "app",
        sourceEventId: `${type}-${tag}-${driver}`,
        type,
        payload: { type, data },
        payloadHash: "h",
        status: "processed",
        queues: [],
        receivedAt: new Date("2026-12-02T08:00:00.000Z"),
      });
    }
    await handle.db.execute(sql`
      insert into orders (app_order_id, buyer_customer_id, amount, currency, state, paid_at, refund_ids)
      values (${`ord-${tag}-${driver}`}, ${customer.id}, 1500, 'eur', 'refunded', '2026-12-03T07:00:00Z', '{re_1,re_2}')`);
    await handle.db.execute(sql`
      insert into connect_accounts (account_id, customer_id, charges_enabled, payouts_enabled, requirements_due)
      values (${`acct_${tag}_${driver}`}, ${customer.id}, true, false, '{individual.verification.document}')`);
    return { userId, email, customer };
  }

  it("writes the note attachContext writes, from facts read in the first statement, and completes in the second", async () => {
    const { userId, email, customer } = await richCustomer("rich");
    const { event, ref } = await request(`support-1-${driver}`);
    const ticket = ticketFor(event.id, userId, email);
    const expected = await buildContext(handle.db, customer, email);
    expect(expected.lastOrder?.refundId).toBe("re_2");
    expect(expected.seller?.requirementsDue).toEqual(["individual.verification.document"]);

    const done = await attachOnLocalDesk(handle.db, localDesk(handle.db), ref, ticket, { eventId: event.id, now });
    if (!done.delivered) throw new Error("not delivered");
    expect(done.attempt).toBe(1);
    expect(done.result).toMatchObject({ ticket: ticket.externalId, created: true, customerId: customer.id });
    // support-context shares the event with ai-triage: the settle runs after this commit.
    expect(done.completion).toEqual({ settled: undefined, settleAfter: true });

    const [note] = await rows<{ id: string; body: string; idempotency_key: string }>(
      sql`select n.id::text as id, n.body, n.idempotency_key from support_notes n
        join support_tickets t on t.id = n.ticket_id where t.external_id = ${ticket.externalId}`,
    );
    expect(note?.idempotency_key).toBe(contextKey(expected));
    expect(note?.body).toBe(renderContext(expected, now));
    expect(note?.id).toBe(done.result.noteId);
    const [tracked] = await rows<{ facts_key: string; customer_id: string }>(
      sql`select facts_key, customer_id::text as customer_id from ticket_contexts where ticket_ref = ${ticket.externalId}`,
    );
    expect(tracked).toEqual({ facts_key: contextKey(expected), customer_id: customer.id });
    const lines = await rows<{ summary: string; details: { noteId: string; plan: string; lastTransaction: string } }>(
      sql`select summary, details from customer_timeline where event_id = ${event.id}`,
    );
    expect(lines).toEqual([
      {
        summary: `context note on ticket ${ticket.externalId} (local desk)`,
        details: { ticket: ticket.externalId, noteId: done.result.noteId, plan: "pro", lastTransaction: "ch_1" },
      },
    ]);
    const [delivery] = await rows<{ status: string }>(sql`select status from deliveries where event_id = ${event.id}`);
    expect(delivery?.status).toBe("completed");

    // Delivered again: nothing runs, nothing is written twice.
    expect(await attachOnLocalDesk(handle.db, localDesk(handle.db), ref, ticket, { eventId: event.id })).toEqual({
      delivered: false,
    });
    const [count] = await rows<{ n: number }>(sql`select count(*)::int as n from support_notes`);
    expect(count?.n).toBe(1);
  });

  it("finds a customer by email when the user id is unknown, and opens a ticket for no customer at all", async () => {
    const { email, customer } = await richCustomer("by-mail");
    const first = await request(`support-2-${driver}`);
    const byMail = await attachOnLocalDesk(
      handle.db,
      localDesk(handle.db),
      first.ref,
      ticketFor(first.event.id, "nobody", ` ${email.toUpperCase()} `),
      { eventId: first.event.id },
    );
    expect(byMail.delivered && byMail.result.customerId).toBe(customer.id);

    const second = await request(`support-3-${driver}`);
    const ticket = ticketFor(second.event.id, "stranger", "stranger@x.io");
    const unknown = await attachOnLocalDesk(handle.db, localDesk(handle.db), second.ref, ticket, {
      eventId: second.event.id,
      now,
    });
    expect(unknown.delivered && unknown.result).toMatchObject({ created: true, customerId: null });
    const [note] = await rows<{ body: string }>(
      sql`select n.body from support_notes n join support_tickets t on t.id = n.ticket_id
        where t.external_id = ${ticket.externalId}`,
    );
    expect(note?.body).toBe(renderContext(await buildContext(handle.db, undefined, "stranger@x.io"), now));
  });

  it("a change between the two statements gets an updated note, then the completion", async () => {
    const { userId, email, customer } = await richCustomer("changed");
    const { event, ref } = await request(`support-4-${driver}`);
    const ticket = ticketFor(event.id, userId, email);
    const started = await startTicket(handle.db, ref, ticket);
    if (!started) throw new Error("not started");
    // billing-sync lands a cancellation after the facts were read, before the note is written.
    await handle.db.execute(sql`update customers set subscription_status = 'canceled' where id = ${customer.id}`);
    const written = await writeTicketNote(handle.db, localDesk(handle.db), ref, ticket, started, {
      eventId: event.id,
      now,
    });
    const notes = await rows<{ body: string; idempotency_key: string }>(
      sql`select n.body, n.idempotency_key from support_notes n join support_tickets t on t.id = n.ticket_id
        where t.external_id = ${ticket.externalId} order by n.created_at, n.id`,
    );
    expect(notes).toHaveLength(2);
    expect(notes.map((n) => n.body.split("\n")[2])).toEqual([
      "Plan: pro · Billing: active (entitled)",
      "Plan: pro · Billing: canceled (entitled)",
    ]);
    expect(notes[1]?.body).toContain("context (updated) —");
    const current = contextKey(
      await buildContext(handle.db, await findCustomer(handle.db, { id: customer.id }), email),
    );
    const [tracked] = await rows<{ facts_key: string }>(
      sql`select facts_key from ticket_contexts where ticket_ref = ${ticket.externalId}`,
    );
    expect(tracked?.facts_key).toBe(current);
    expect(written.completion.settleAfter).toBe(true);
    const [delivery] = await rows<{ status: string }>(sql`select status from deliveries where event_id = ${event.id}`);
    expect(delivery?.status).toBe("completed");
  });
});
