import { recordEvent, recordFailure, schema } from "@switchyard/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminHarness, createAdminHarness } from "../testing/harness.ts";

describe("console events, event page and search box", () => {
  let h: AdminHarness;
  let stripeId = "";
  let hubspotId = "";
  let twinId = "";
  let customerId = "";
  let failureId = "";

  const record = async (source: string, sourceEventId: string, type: string, payload: unknown, queues: string[] = []) =>
    (
      await recordEvent(h.dbHandle.db, {
        source,
        sourceEventId,
        type,
        payload,
        payloadHash: `hash-${source}-${sourceEventId}`,
        status: "received",
        queues,
        receivedAt: new Date(),
      })
    ).event.id;

  beforeAll(async () => {
    h = await createAdminHarness("console_events");
  });
  afterAll(() => h?.close());

  it("says what to do when no event has arrived: the curl and where to point Stripe", async () => {
    const page = await (await h.get("/console/events")).text();
    expect(page).toContain('data-testid="empty"');
    expect(page).toContain("/v1/events -H 'authorization: Bearer &lt;app key&gt;'");
    expect(page).toContain("/webhooks/stripe</code>");
  });

  it("finds an event by its id, a provider's id (evt_…, a HubSpot eventId), a failure id, and a customer by email or id", async () => {
    stripeId = await record(
      "stripe",
      "evt_1SearchMe",
      "stripe.invoice.paid",
      { id: "evt_1SearchMe", data: { object: { customer: "cus_s", client_secret: "pi_secret_should_not_show" } } },
      ["billing-sync"],
    );
    hubspotId = await record("hubspot", "4242", "hubspot.contact.creation", { eventId: 4242 });
    twinId = await record("zendesk", "4242", "zendesk.ticket.created", { id: 4242 });
    const [customer] = await h.dbHandle.db
      .insert(schema.customers)
      .values({ email: "search@example.com", externalId: "u-search" })
      .returning();
    customerId = customer?.id ?? "";
    failureId = (
      await recordFailure(h.dbHandle.db, {
        eventId: stripeId,
        queue: "billing-sync",
        jobName: "stripe.invoice.paid",
        jobId: `evt-${stripeId}`,
        reason: "billing_timeout",
        attempts: 8,
        lastError: "billing_timeout: Stripe did not answer",
        payload: {},
      })
    ).id;
    const to = async (q: string) => {
      const res = await h.get(`/console/search?q=${encodeURIComponent(q)}`);
      return [res.status, res.headers.get("location")];
    };
    expect(await to("evt_1SearchMe")).toEqual([303, `/console/events/${stripeId}`]);
    expect(await to(stripeId)).toEqual([303, `/console/events/${stripeId}`]);
    expect(await to(failureId)).toEqual([303, `/console/events/${stripeId}`]);
    expect(await to("search@example.com")).toEqual([303, "/console/customers?q=search%40example.com"]);
    expect(await to(customerId)).toEqual([303, `/console/customers?q=${customerId}`]);
    expect(await to("u-search")).toEqual([303, "/console/customers?q=u-search"]);
    // Two sources used the same id: both are listed.
    const twins = await h.get("/console/search?q=4242");
    expect(twins.status).toBe(200);
    const listed = await twins.text();
    expect(listed).toContain(`data-event="${hubspotId}"`);
    expect(listed).toContain(`data-event="${twinId}"`);
    const none = await h.get("/console/search?q=nothing-like-it");
    expect(none.status).toBe(404);
    expect(await none.text()).toContain("Nothing matches “nothing-like-it”");
  });

  it("shows the event: full ids, signature, routing, its failure linked to Bull Board, a redacted payload, local times", async () => {
    const res = await h.get(`/console/events/${stripeId}`);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain(`<code class="id">${stripeId}</code>`);
    expect(page).toContain('<code class="id">evt_1SearchMe</code>');
    expect(page).toContain('<span class="good">verified</span>');
    expect(page).toContain('<span class="badge">billing-sync</span>');
    expect(page).toContain(`data-failure="${failureId}"`);
    expect(page).toContain(`href="/queues/queue/billing-sync/evt-${stripeId}"`);
    expect(page).toContain("billing_timeout: Stripe did not answer");
    expect(page).toContain("&quot;client_secret&quot;: &quot;[redacted]&quot;");
    expect(page).not.toContain("pi_secret_should_not_show");
    expect(page).toMatch(/<time datetime="\d{4}-\d\d-\d\dT[\d:.]+Z">\d{4}-\d\d-\d\d [\d:]+ UTC<\/time>/);
    expect(page).toContain(`action="/console/events/${stripeId}/replay"`);
    const api = (await (await h.get(`/api/events/${stripeId}`)).json()) as {
      event: { payload: { data: { object: { client_secret: string } } } };
      failures: { id: string }[];
      consumers: { consumer: string; failures: { id: string }[] }[];
    };
    expect(api.event.payload.data.object.client_secret).toBe("[redacted]");
    expect(api.failures.map((f) => f.id)).toEqual([failureId]);
    expect(api.consumers.find((c) => c.consumer === "billing-sync/stripe.invoice.paid")?.failures).toHaveLength(1);
    expect((await h.get("/api/events/01890a5d-ac96-774b-bcce-b302099a8057")).status).toBe(404);
    expect((await h.get("/console/events/not-an-id")).status).toBe(404);
  });

  it("lists events with filters by source and status, each linked by its full id", async () => {
    const bySource = await (await h.get("/console/events?source=hubspot")).text();
    expect(bySource).toContain(`<a href="/console/events/${hubspotId}"><code class="id">${hubspotId}</code></a>`);
    expect(bySource).not.toContain(`data-event="${stripeId}"`);
    const byStatus = await (await h.get("/console/events?status=processed")).text();
    expect(byStatus).toContain("No events match.");
    const bad = await h.get("/console/events?from=yesterday");
    expect(bad.status).toBe(400);
  });
});
