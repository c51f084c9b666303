import { randomUUID } from "node:crypto";
import { localDesk, openaiSummarizer } from "@switchyard/connectors";
import { createDb, type DbHandle, eq, runMigrations, schema } from "@switchyard/db";
import { createTestDatabase, FakeOpenAI, type TestDatabase } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accountSummaryLine } from "./account-summary.ts";
import { aiOutputPolicy } from "./ai-output.ts";
import type { Customer } from "./customers.ts";
import { attachContext } from "./support-context.ts";

/** The ticket context with a model-written summary (OPENAI_API_KEY set), and without one when the model fails. */
describe("account summary on the ticket context", () => {
  let openai: FakeOpenAI;
  let testDb: TestDatabase;
  let handle: DbHandle;
  let customer: Customer;
  beforeAll(async () => {
    openai = await FakeOpenAI.start();
    testDb = await createTestDatabase("account_summary");
    handle = await createDb({ databaseUrl: testDb.url });
    await runMigrations(handle);
    [customer] = (await handle.db
      .insert(schema.customers)
      .values({
        externalId: "u-ctx",
        email: "ctx@example.com",
        plan: "scale",
        subscriptionStatus: "active",
        entitled: true,
        lastPaymentTransactionId: "ch_ctx_txn",
      })
      .returning()) as [Customer];
  });
  afterAll(async () => {
    await openai.close();
    await handle.close();
    await testDb.drop();
  });

  const summarizer = () => openaiSummarizer({ apiKey: openai.apiKey, baseUrl: openai.baseUrl, model: "gpt-4.1-mini" });
  const policy = aiOutputPolicy({ AI_LINK_DOMAINS: ["acme.example"] });
  async function noteFor(ticket: string) {
    const desk = localDesk(handle.db);
    await attachContext(
      handle.db,
      desk,
      { externalId: ticket, requesterEmail: "ctx@example.com", subject: "Help" },
      customer,
      {
        eventId: randomUUID(),
        summarize: (c) => accountSummaryLine(handle.db, c, { summarizer: summarizer(), policy }),
      },
    );
    const [t] = await handle.db
      .select()
      .from(schema.supportTickets)
      .where(eq(schema.supportTickets.externalId, ticket));
    return handle.db
      .select()
      .from(schema.supportNotes)
      .where(eq(schema.supportNotes.ticketId, t?.id ?? ""));
  }

  it("adds the model's summary, sanitized, below the code-built facts; the model saw no tool and no transaction id", async () => {
    openai.respondWith(() => "Scale customer in good standing; card 4242 4242 4242 4242 on file.");
    const [note] = await noteFor("t-model");
    expect(note?.body).toContain("Plan: scale");
    expect(note?.body).toContain("Account summary (model, from these facts): Scale customer in good standing");
    expect(note?.body).not.toContain("4242");
    const request = openai.received.at(-1)?.body as { tools?: unknown; messages: unknown[] };
    expect(request.tools).toBeUndefined();
    expect(JSON.stringify(request.messages)).not.toContain("ch_ctx_txn");
  });

  it("falls back to the code-built context alone when the model fails", async () => {
    openai.fail({ status: 503 });
    const [note] = await noteFor("t-fallback");
    openai.heal();
    expect(note?.body).toContain("Plan: scale");
    expect(note?.body).not.toContain("Account summary");
  });
});
