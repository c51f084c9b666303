import { type Classifier, TriageOutput, zendeskDesk } from "@switchyard/connectors";
import { createDb, type DbHandle, eq, recordEvent, runMigrations, schema } from "@switchyard/db";
import { createTestDatabase, FakeZendesk, type TestDatabase } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { aiOutputPolicy } from "./ai-output.ts";
import { triageMessage } from "./triage.ts";

/** A model that writes whatever the attacker asked for into its draft, and asks for it to be attached. */
const modelWriting = (draftReply: string): Classifier => ({
  name: "compromised-drafter",
  async classify() {
    return TriageOutput.parse({
      intent: "how_to",
      urgency: "low",
      sentiment: "positive",
      summary: `Customer pasted 4242 4242 4242 4242 and asked about https://evil.example/x`,
      draftReply,
      proposedActions: [{ type: "attach_draft" }],
    });
  },
});

/** Drafts as they reach Zendesk (the fake, over HTTP) through the real triage path. */
describe("AI drafts reaching the desk", () => {
  let fake: FakeZendesk;
  let testDb: TestDatabase;
  let handle: DbHandle;
  beforeAll(async () => {
    fake = await FakeZendesk.start({ email: "support@acme.example", apiToken: "zd-token-test" });
    testDb = await createTestDatabase("ai_output_desk");
    handle = await createDb({ databaseUrl: testDb.url });
    await runMigrations(handle);
  });
  afterAll(async () => {
    await fake.close();
    await handle.close();
    await testDb.drop();
  });

  const desk = () =>
    zendeskDesk({ baseUrl: fake.url, email: "support@acme.example", apiToken: "zd-token-test", db: handle.db });
  // The default users run: no AI_LINK_DOMAINS, so the support address's domain.
  const aiOutput = aiOutputPolicy({ AI_LINK_DOMAINS: [], ZENDESK_EMAIL: "support@acme.example" });

  async function triage(ticketId: number, draft: string) {
    fake.addTicket({ id: ticketId, subject: "Help" });
    const { event } = await recordEvent(handle.db, {
      source: "zendesk",
      sourceEventId: `zd-${ticketId}`,
      type: "zendesk.ticket.created",
      payloadHash: `h${ticketId}`,
      payload: {},
      status: "received",
      queues: ["ai-triage"],
      receivedAt: new Date(),
    });
    await triageMessage(
      handle.db,
      { classifier: modelWriting(draft), desk: desk(), aiOutput },
      {
        eventId: event.id,
        ticketExternalId: String(ticketId),
        customer: undefined,
        input: { subject: null, message: "hi" },
      },
    );
    const notes = fake.notesOn(ticketId);
    const reviews = await handle.db.select().from(schema.reviewItems).where(eq(schema.reviewItems.eventId, event.id));
    const [result] = await handle.db
      .select()
      .from(schema.triageResults)
      .where(eq(schema.triageResults.eventId, event.id));
    return { notes, reviews, result };
  }

  it("removes a test card number, an sk_live_ key and a javascript: link before the note is written", async () => {
    const { notes, reviews, result } = await triage(
      501,
      "Thanks! Card 4242 4242 4242 4242 works with key sk_live_51HqLyjWDarjtT1zdp7dcXkQ9. " +
        "Open javascript:alert(document.cookie) or our guide https://help.acme.example/cards.",
    );
    expect(notes).toHaveLength(1);
    const body = notes[0]?.body ?? "";
    expect(notes[0]?.public).toBe(false);
    expect(body).toMatch(/^Suggested reply \(compromised-drafter, review before sending\):/);
    for (const leaked of ["4242", "sk_live_", "javascript:"]) expect(body).not.toContain(leaked);
    expect(body).toContain("[card number removed]");
    expect(body).toContain("[secret removed]");
    expect(body).toContain("[link removed]");
    expect(body).toContain("https://help.acme.example/cards");
    expect(reviews).toEqual([]);
    expect(result?.draftReply).not.toContain("sk_live_");
    expect(result?.summary).not.toMatch(/4242|evil\.example/);
  });

  it('holds "I have refunded you" for review instead of attaching it as ready', async () => {
    const { notes, reviews } = await triage(502, "Hi Ada, I have refunded you the full $49. Anything else?");
    expect(notes).toHaveLength(1);
    expect(notes[0]?.body).toMatch(/^Held for review \(compromised-drafter\): this draft promises refund/);
    expect(notes[0]?.body).not.toMatch(/Suggested reply/);
    expect(reviews.map((r) => [r.kind, r.status])).toEqual([["draft_promise", "open"]]);
  });
});
