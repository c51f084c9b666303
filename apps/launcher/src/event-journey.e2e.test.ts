import { checkoutCompleted, FakeHubspot, signStripe } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEYS, type System, startSystem } from "./testing/system.ts";

const ADMIN = { token: "sy_admin_journey_token_0123456789abcdef", user: "ops", password: "journey test password" };

interface Journey {
  event: { id: string; sourceEventId: string; status: string };
  consumers: {
    consumer: string;
    delivery: { status: string; attempts: number; result: unknown } | null;
    jobs: {
      id: string;
      state: string;
      attempts: { attempt: number; outcome: string; error: string | null }[];
      url: string;
    }[];
  }[];
}

describe("one event's journey", () => {
  let sys: System;
  let hubspot: FakeHubspot;

  beforeAll(async () => {
    hubspot = await FakeHubspot.start({ token: "pat-journey" });
    sys = await startSystem({
      label: "journey",
      admin: true,
      env: {
        HUBSPOT_ACCESS_TOKEN: "pat-journey",
        HUBSPOT_API_BASE: hubspot.url,
        RETRY_BACKOFF_MS: "20",
        ADMIN_TOKEN: ADMIN.token,
        ADMIN_USER: ADMIN.user,
        ADMIN_PASSWORD: ADMIN.password,
      },
    });
  });
  afterAll(async () => {
    await sys?.close();
    await hubspot?.close();
  });

  const admin = (path: string) =>
    fetch(`${sys.adminUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN.token}` }, redirect: "manual" });

  it("shows a Stripe event that crm-sync failed on once and then completed: both attempts, the error, the result; search finds it by evt_", async () => {
    // HubSpot answers the first CRM call with a 502; crm-sync's retry goes through.
    hubspot.fail({ status: 502, times: 1 });
    const event = checkoutCompleted({ customer: "cus_journey", userId: "u-journey", email: "journey@example.com" });
    const res = await sys.post("/webhooks/stripe", signStripe({ payload: event, secret: KEYS.stripe }));
    expect(res.status).toBe(202);
    const { eventId } = (await res.json()) as { eventId: string };
    await sys.waitForIdle();
    expect(hubspot.contacts.get("journey@example.com")?.writes).toBe(1);

    const api = await admin(`/api/events/${eventId}`);
    expect(api.status).toBe(200);
    const journey = (await api.json()) as Journey;
    expect(journey.event).toMatchObject({ id: eventId, sourceEventId: event.id, status: "processed" });
    const crm = journey.consumers.find((c) => c.consumer === "crm-sync/switchyard.customer.changed");
    expect(crm?.delivery).toMatchObject({ status: "completed", attempts: 2 });
    expect(crm?.delivery?.result).not.toBeNull();
    expect(crm?.jobs).toHaveLength(1);
    const [job] = crm?.jobs ?? [];
    expect(job?.state).toBe("completed");
    expect(job?.url).toBe(`/queues/queue/crm-sync/${encodeURIComponent(job?.id ?? "")}`);
    expect(job?.attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, "failed"],
      [2, "completed"],
    ]);
    expect(job?.attempts[0]?.error).toMatch(/502/);
    expect(job?.attempts[0]?.error).not.toContain("pat-journey");
    const billing = journey.consumers.find((c) => c.consumer === "billing-sync/stripe.checkout.session.completed");
    expect(billing?.delivery).toMatchObject({ status: "completed", attempts: 1 });
    // Every consumer that ran it has its Bull Board job, follow-ups included.
    for (const c of journey.consumers)
      expect(
        c.jobs.map((j) => j.state),
        c.consumer,
      ).toEqual(["completed"]);

    const page = await admin(`/console/events/${eventId}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const section = html.slice(html.indexOf('data-consumer="crm-sync/switchyard.customer.changed"'));
    expect(section).toMatch(/data-attempt="1" data-outcome="failed"><span class="bad">failed<\/span>: <code>[^<]*502/);
    expect(section).toContain('data-attempt="2" data-outcome="completed"');
    expect(section).toMatch(/data-testid="result"/);
    expect(html).toContain(`<code class="id">${eventId}</code>`);
    expect(html).toContain(`<code class="id">${event.id}</code>`);

    const search = await admin(`/console/search?q=${encodeURIComponent(event.id)}`);
    expect(search.status).toBe(303);
    expect(search.headers.get("location")).toBe(`/console/events/${eventId}`);
  });
});
