import { providerExample, signHubspot, signZendesk } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, post, SECRETS } from "../testing/harness.ts";

/** The providers' own documented payloads (packages/testkit/fixtures), sent as they are. */
describe("providers' documented example payloads", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ driver: "postgres", label: "provider_examples" });
  });
  afterAll(() => h.close());

  it("Zendesk's ticket.created is recorded as sent and routed to support-context and ai-triage", async () => {
    const event = providerExample("zendesk", "ticket-created");
    const res = await post(h, "/webhooks/zendesk", signZendesk({ payload: event, secret: SECRETS.zendesk }));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { eventId: string; queues: string[] };
    expect(body.queues).toEqual(["support-context", "ai-triage"]);
    const [row] = await h.eventRows("cbe4028c-7239-495d-b020-f22348516046");
    expect(row?.type).toBe("zendesk.ticket.created");
    expect(row?.payload).toEqual(event);
  });

  it("HubSpot's webhook batch records each event once, contacts routed to crm-sync", async () => {
    const batch = providerExample<unknown[]>("hubspot", "webhook-batch");
    const signed = signHubspot({ payload: batch, secret: SECRETS.hubspot, uri: "http://ingest.test/webhooks/hubspot" });
    const res = await post(h, "/webhooks/hubspot", signed);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { events: { eventId: string; status: string }[] };
    expect(body.events.map((e) => e.status)).toEqual(["accepted", "accepted"]);
    for (const e of body.events) expect(await h.jobExists("crm-sync", e.eventId)).toBe(true);
    expect((await h.eventRows("3816279340"))[0]?.type).toBe("hubspot.contact.propertyChange");
    expect((await h.eventRows("3816279480"))[0]?.type).toBe("hubspot.contact.creation");
  });
});
