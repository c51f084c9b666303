import { createDb, type DbHandle, eq, runMigrations, schema } from "@switchyard/db";
import { createTestDatabase, FakeHubspot, FakeZendesk, rejectionOf, type TestDatabase } from "@switchyard/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { hubspotCrm } from "./hubspot.ts";
import { zendeskDesk } from "./zendesk.ts";

/** What the KPIs read for HubSpot and Zendesk: Switchyard's own record of what it wrote there. */
describe("the mirrors of what Switchyard wrote to HubSpot and Zendesk", () => {
  let hubspot: FakeHubspot;
  let zendesk: FakeZendesk;
  let testDb: TestDatabase;
  let handle: DbHandle;
  beforeAll(async () => {
    hubspot = await FakeHubspot.start({ token: "pat-mirror" });
    zendesk = await FakeZendesk.start({ email: "bot@example.com", apiToken: "zd-mirror" });
    testDb = await createTestDatabase("mirrors");
    handle = await createDb({ databaseUrl: testDb.url });
    await runMigrations(handle);
  });
  afterEach(() => {
    hubspot.heal();
    zendesk.heal();
  });
  afterAll(async () => {
    await hubspot.close();
    await zendesk.close();
    await handle.close();
    await testDb.drop();
  });

  const db = () => handle.db;
  const crm = () => hubspotCrm({ token: "pat-mirror", baseUrl: hubspot.url, timeoutMs: 300, db: db() });
  const mirrored = (customerId: string) =>
    db().select().from(schema.crmContactMirror).where(eq(schema.crmContactMirror.customerId, customerId));

  it("HubSpot: one row per contact id HubSpot gave a customer; repeats count as writes, a second id is a second row", async () => {
    const [customer] = await db().insert(schema.customers).values({ email: "ada@example.com" }).returning();
    if (!customer) throw new Error("no customer");
    const input = {
      customerId: customer.id,
      email: "ada@example.com",
      externalId: null,
      lifecycleStage: "lead" as const,
      plan: null,
    };
    const first = await crm().upsertContact(input, { idempotencyKey: "e1-contact" });
    await crm().upsertContact(input, { idempotencyKey: "e2-contact" });
    expect(await mirrored(customer.id)).toMatchObject([
      { provider: "hubspot", contactId: first.contactId, email: "ada@example.com", writes: 2 },
    ]);

    // A write HubSpot refused is not mirrored.
    hubspot.fail({ status: 502, body: { message: "bad gateway" } });
    await rejectionOf(crm().upsertContact(input, { idempotencyKey: "e3-contact" }));
    hubspot.heal();
    expect((await mirrored(customer.id))[0]?.writes).toBe(2);

    // HubSpot lost the contact (deleted, merged away): the next sync gets a new id for the same customer.
    hubspot.deleteContact("ada@example.com");
    const second = await crm().upsertContact(input, { idempotencyKey: "e4-contact" });
    expect(second.contactId).not.toBe(first.contactId);
    expect((await mirrored(customer.id)).map((r) => r.contactId).sort()).toEqual(
      [first.contactId, second.contactId].sort(),
    );
  });

  it("Zendesk: each note is recorded with its kind, and is `written` once Zendesk has it", async () => {
    const desk = zendeskDesk({ baseUrl: zendesk.url, email: "bot@example.com", apiToken: "zd-mirror", db: db() });
    zendesk.addTicket({ id: 31 });
    await desk.addInternalNote("31", { kind: "context", body: "Plan: pro" }, { idempotencyKey: "context-1" });
    await desk.addInternalNote("31", { kind: "draft", body: "Reply" }, { idempotencyKey: "e1-draft" });
    zendesk.fail({ match: /^PUT /, status: 503 });
    await rejectionOf(desk.addInternalNote("31", { kind: "context", body: "x" }, { idempotencyKey: "context-2" }));
    const rows = await db().select().from(schema.externalNotes).where(eq(schema.externalNotes.ticketRef, "31"));
    expect(
      rows
        .map((r) => ({ key: r.idempotencyKey, kind: r.kind, status: r.status }))
        .sort((a, b) => a.key.localeCompare(b.key)),
    ).toEqual([
      { key: "context-1", kind: "context", status: "written" },
      { key: "context-2", kind: "context", status: "pending" },
      { key: "e1-draft", kind: "draft", status: "written" },
    ]);
  });
});
