import { eq, recordEvent, schema } from "@switchyard/db";
import { addTimeline } from "@switchyard/domain";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminHarness, CREDS, createAdminHarness, ORIGIN } from "../testing/harness.ts";
import { SCRIPT_TAG } from "./page.ts";

const EVIL_EMAIL = `mallory<script>alert("email")</script>@example.com`;
const EVIL_NAME = `<script>alert("name")</script>`;

describe("console customer page", () => {
  let h: AdminHarness;
  let customerId: string;
  let eventId: string;
  beforeAll(async () => {
    h = await createAdminHarness("console_customer");
    const db = h.dbHandle.db;
    const [c] = await db
      .insert(schema.customers)
      .values({
        email: EVIL_EMAIL,
        name: EVIL_NAME,
        externalId: "u-evil",
        plan: "pro",
        subscriptionStatus: "active",
        entitled: true,
        lastPaymentAmount: 4_900,
        lastPaymentCurrency: "usd",
        lastPaymentTransactionId: "ch_evil",
        lastPaymentAt: new Date(),
      })
      .returning();
    customerId = c?.id ?? "";
    const { event } = await recordEvent(db, {
      source: "stripe",
      sourceEventId: "evt_console_1",
      type: "invoice.paid",
      payloadHash: "h1",
      payload: { id: "evt_console_1" },
      status: "processed",
      queues: ["billing-sync"],
      receivedAt: new Date(),
    });
    eventId = event.id;
    await addTimeline(db, {
      customerId,
      kind: "event",
      summary: "invoice.paid",
      eventId,
      dedupeKey: `event:${eventId}`,
      details: { payment: { id: "in_1", transactionId: "ch_evil", amount: 4_900, currency: "usd" } },
    });
    await addTimeline(db, {
      customerId,
      kind: "crm_sync",
      summary: `contact created in embedded CRM: customer, pro <img src=x onerror=alert(1)>`,
      eventId,
      dedupeKey: `crm:${eventId}`,
      // A payload that pretends to be already-escaped markup must still be printed as text.
      details: { isEscaped: true, toString: "<script>alert('details')</script>" },
    });
    await addTimeline(db, {
      customerId,
      kind: "support_note",
      summary: "context note on ticket zd-1 (embedded desk)",
      dedupeKey: "note:zd-1",
    });
  });
  afterAll(() => h?.close());

  const location = (res: Response) => new URL(res.headers.get("location") ?? "", ORIGIN);

  it("shows a search form, and 404 with the form again for an unknown customer", async () => {
    const empty = await h.get("/console/customers");
    expect(empty.status).toBe(200);
    expect(await empty.text()).toContain('<form method="get" action="/console/customers">');
    const none = await h.get("/console/customers?q=nobody%40example.com");
    expect(none.status).toBe(404);
    expect(await none.text()).toContain("No customer matches “nobody@example.com”");
  });

  it("finds the customer by email, id or app user id and shows one timeline across billing, CRM and support", async () => {
    for (const q of [EVIL_EMAIL, customerId, "u-evil"]) {
      const res = await h.get(`/console/customers?q=${encodeURIComponent(q)}`);
      expect(res.status, q).toBe(200);
      const page = await res.text();
      expect(page).toContain(customerId);
      expect(page).toMatch(/data-kind="event">[\s\S]*?invoice\.paid[\s\S]*?payment 49\.00 USD \(ch_evil\)/);
      expect(page).toMatch(/data-kind="crm_sync">[\s\S]*?CRM[\s\S]*?contact created in embedded CRM/);
      expect(page).toMatch(/data-kind="support_note">[\s\S]*?support[\s\S]*?context note on ticket zd-1/);
      // Replay is one action on the event's page: each line links its event by its full id.
      expect(page).not.toContain(`action="/console/events/${eventId}/replay"`);
      expect(page).toContain(`<a href="/console/events/${eventId}"><code class="id">${eventId}</code></a>`);
      expect(page).toContain('data-testid="status-card"');
      expect(page).toContain(`action="/console/customers/${customerId}/override"`);
      expect(page).toContain(`href="/console/failures?status=&amp;customer=${customerId}"`);
    }
  });

  it("escapes every customer and payload value: no markup from the database reaches the page", async () => {
    const page = (await (await h.get(`/console/customers?q=${encodeURIComponent(EVIL_EMAIL)}`)).text()).replace(
      SCRIPT_TAG,
      "",
    );
    expect(page).not.toMatch(/<script/i);
    expect(page).not.toContain("<img");
    expect(page).toContain("mallory&lt;script&gt;alert(&quot;email&quot;)&lt;/script&gt;@example.com");
    expect(page).toContain("&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;");
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(page).toContain("&quot;isEscaped&quot;:true");
    // The search box echoes the query inside an attribute: escaped there too.
    expect(page).toContain('value="mallory&lt;script&gt;alert(&quot;email&quot;)');
  });

  it("sets an override from the form, audited with the actor and reason, and shows it", async () => {
    const res = await h.post(`/console/customers/${customerId}/override`, {
      status: "not_entitled",
      reason: "chargeback under review",
    });
    expect(res.status).toBe(303);
    const to = location(res);
    expect(to.pathname).toBe("/console/customers");
    expect(to.searchParams.get("q")).toBe(customerId);
    expect(to.searchParams.get("flash")).toBe("Override set to not_entitled.");
    const [row] = await h.dbHandle.db.select().from(schema.customers).where(eq(schema.customers.id, customerId));
    expect(row).toMatchObject({ statusOverride: "not_entitled", entitled: false });
    const entry = (await h.audit()).find((a) => a.action === "customer.override");
    expect(entry).toMatchObject({ actor: CREDS.user, target: customerId, reason: "chargeback under review" });
    // The override is an event the CRM hears about, like the API's.
    const [changed] = await h.dbHandle.db
      .select()
      .from(schema.events)
      .where(eq(schema.events.type, "switchyard.customer.changed"));
    expect(changed?.queues).toEqual(["crm-sync"]);
    const page = await (await h.get(`${to.pathname}${to.search}`)).text();
    expect(page).toContain("Override set to not_entitled.");
    expect(page).toMatch(/data-testid="override"><strong>not_entitled<\/strong>/);
    expect(page).toMatch(
      /data-kind="override">[\s\S]*?ops set status override to not_entitled: chargeback under review/,
    );

    const clear = await h.post(`/console/customers/${customerId}/override`, { status: "none", reason: "resolved" });
    expect(location(clear).searchParams.get("flash")).toBe("Override set to none.");
  });

  it("refuses an override without a reason, or for an unknown customer, with an error flash and no write", async () => {
    const before = (await h.audit()).length;
    const noReason = await h.post(`/console/customers/${customerId}/override`, { status: "entitled", reason: " " });
    expect(location(noReason).searchParams.get("error")).toMatch(/needs a status and a reason/);
    const badStatus = await h.post(`/console/customers/${customerId}/override`, { status: "vip", reason: "because" });
    expect(location(badStatus).searchParams.get("error")).toMatch(/needs a status and a reason/);
    const unknown = await h.post("/console/customers/00000000-0000-4000-8000-000000000001/override", {
      status: "entitled",
      reason: "goodwill",
    });
    expect(location(unknown).searchParams.get("error")).toBe("no customer 00000000-0000-4000-8000-000000000001");
    expect((await h.audit()).length).toBe(before);
  });

  it("replays an event with a reason, audited, and goes back to the customer", async () => {
    const back = `/console/customers?q=${customerId}`;
    const res = await h.post(`/console/events/${eventId}/replay`, { reason: "billing check", back });
    expect(res.status).toBe(303);
    const to = location(res);
    expect(to.pathname).toBe("/console/customers");
    expect(to.searchParams.get("q")).toBe(customerId);
    expect(to.searchParams.get("flash")).toBe(`Replayed event ${eventId} to billing-sync.`);
    const [job] = await h.registry.get("billing-sync").getJobs(["waiting"]);
    expect(job?.id).toMatch(/-replay-\d+$/);
    const entry = (await h.audit()).find((a) => a.action === "event.replay");
    expect(entry).toMatchObject({ actor: CREDS.user, target: eventId, reason: "billing check" });
  });

  it("refuses a replay without a reason, and never redirects off the console", async () => {
    const before = (await h.audit()).length;
    const res = await h.post(`/console/events/${eventId}/replay`, { reason: "", back: "https://evil.example/x" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toMatch(/^\/console\?error=/);
    const sneaky = await h.post(`/console/events/${eventId}/replay`, { reason: "", back: "/console//evil.example" });
    expect(location(sneaky).origin).toBe(ORIGIN);
    expect((await h.audit()).length).toBe(before);
    const unknown = await h.post("/console/events/not-a-uuid/replay", { reason: "try it", back: "/console" });
    expect(location(unknown).searchParams.get("error")).toBe("no event not-a-uuid");
  });

  it("refuses cross-origin override and replay forms before any write", async () => {
    const before = (await h.audit()).length;
    const evil = { origin: "https://evil.example", "sec-fetch-site": "cross-site" };
    const override = await h.post(
      `/console/customers/${customerId}/override`,
      { status: "entitled", reason: "free pro for me" },
      evil,
    );
    expect(override.status).toBe(403);
    const replay = await h.post(`/console/events/${eventId}/replay`, { reason: "again and again" }, evil);
    expect(replay.status).toBe(403);
    expect((await h.audit()).length).toBe(before);
    const [row] = await h.dbHandle.db.select().from(schema.customers).where(eq(schema.customers.id, customerId));
    expect(row?.statusOverride).toBeNull();
  });
});
