import { customerTimeline } from "@switchyard/domain";
import {
  appEventRequest,
  checkoutCompleted,
  FakeHubspot,
  invoicePaid,
  invoicePaymentFailed,
  signStripe,
  subscriptionUpdated,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { customerByEmail, KEYS, type System, startSystem } from "./testing/system.ts";

const ADMIN = { token: "sy_admin_override_token_0123456789abcdef", user: "ops", password: "override test password" };
const T0 = Math.floor(Date.now() / 1000) - 3_600;

/** An operator's override reaches the CRM: HubSpot's fake, which moves lifecycle stages forward only, as HubSpot does. */
describe("overrides reach the CRM", () => {
  let sys: System;
  let hubspot: FakeHubspot;

  beforeAll(async () => {
    hubspot = await FakeHubspot.start({ token: "pat-override" });
    sys = await startSystem({
      label: "overrides",
      admin: true,
      env: {
        HUBSPOT_ACCESS_TOKEN: "pat-override",
        HUBSPOT_API_BASE: hubspot.url,
        PROVIDER_TIMEOUT_MS: "2000",
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

  const stripe = (event: object) => sys.post("/webhooks/stripe", signStripe({ payload: event, secret: KEYS.stripe }));
  const signup = (userId: string) =>
    sys.post(
      "/v1/events",
      appEventRequest({
        payload: { type: "user.signed_up", data: { userId, email: `${userId}@example.com` } },
        apiKey: KEYS.app,
      }),
    );
  const viaApi = async (customerId: string, status: string | null, reason: string) => {
    const res = await fetch(`${sys.adminUrl}/api/customers/${customerId}/override`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN.token}`, "content-type": "application/json" },
      body: JSON.stringify({ status, reason }),
    });
    expect(res.status).toBe(200);
  };
  const viaConsole = async (customerId: string, status: string | null, reason: string) => {
    const res = await fetch(`${sys.adminUrl}/console/customers/${customerId}/override`, {
      method: "POST",
      redirect: "manual",
      headers: {
        authorization: `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
        origin: sys.adminUrl,
        "sec-fetch-site": "same-origin",
      },
      body: new URLSearchParams({ status: status ?? "none", reason }).toString(),
    });
    expect(res.status).toBe(303);
    expect(new URL(res.headers.get("location") ?? "", sys.adminUrl).searchParams.get("error")).toBeNull();
  };
  const contact = (userId: string) => hubspot.contacts.get(`${userId}@example.com`)?.properties;
  const upsertsFor = (userId: string) =>
    hubspot.upserts().filter((r) => (r.body as { inputs: { id: string }[] }).inputs[0]?.id === `${userId}@example.com`)
      .length;
  /** Runs one change and waits for the sync it causes; how many HubSpot writes it took. */
  async function synced(userId: string, change: () => Promise<unknown>): Promise<number> {
    const before = upsertsFor(userId);
    await change();
    await sys.waitForIdle();
    return upsertsFor(userId) - before;
  }
  async function customerOf(userId: string) {
    const c = await customerByEmail(sys, `${userId}@example.com`);
    if (!c) throw new Error(`no customer ${userId}`);
    return c;
  }

  it("entitled on a past_due customer: the contact shows customer after one sync, past_due again once cleared", async () => {
    const user = "u-past-due";
    await signup(user);
    await sys.waitForIdle();
    const billing = { customer: "cus_pd", plan: "pro" };
    for (const e of [
      checkoutCompleted({ ...billing, userId: user, email: `${user}@example.com`, created: T0 }),
      invoicePaid({ ...billing, charge: "ch_pd", created: T0 + 5 }),
      invoicePaymentFailed({ ...billing, created: T0 + 10 }),
    ])
      await stripe(e);
    await sys.waitForIdle();
    const customer = await customerOf(user);
    expect(customer).toMatchObject({ subscriptionStatus: "past_due", entitled: false });
    expect(contact(user)).toMatchObject({ switchyard_lifecycle: "past_due", lifecyclestage: "customer" });

    expect(await synced(user, () => viaApi(customer.id, "entitled", "goodwill while the card is replaced"))).toBe(1);
    expect(contact(user)).toMatchObject({ switchyard_lifecycle: "customer", lifecyclestage: "customer" });
    expect(await customerOf(user)).toMatchObject({ statusOverride: "entitled", entitled: true });

    expect(await synced(user, () => viaApi(customer.id, null, "card replaced"))).toBe(1);
    expect(contact(user)).toMatchObject({ switchyard_lifecycle: "past_due", lifecyclestage: "customer" });
    expect(await customerOf(user)).toMatchObject({ statusOverride: null, entitled: false });

    // The timeline has both overrides, each with the stage it moved to, and the CRM sync after each.
    const story = await customerTimeline(sys.dbHandle.db, { id: customer.id });
    const lines = (story?.entries ?? []).filter((e) => e.kind === "override" || e.kind === "crm_sync");
    expect(lines.slice(-4).map((e) => [e.kind, e.summary])).toEqual([
      [
        "override",
        "ADMIN_TOKEN set status override to entitled: goodwill while the card is replaced; lifecycle stage past_due → customer",
      ],
      ["crm_sync", "contact updated in hubspot CRM: customer, pro"],
      ["override", "ADMIN_TOKEN set status override to none: card replaced; lifecycle stage customer → past_due"],
      ["crm_sync", "contact updated in hubspot CRM: past_due, pro"],
    ]);
  });

  it("entitled on a churned customer from the console: HubSpot's stage goes back from other to customer, and on", async () => {
    const user = "u-churned";
    await signup(user);
    await sys.waitForIdle();
    const billing = { customer: "cus_ch", plan: "team" };
    await stripe(checkoutCompleted({ ...billing, userId: user, email: `${user}@example.com`, created: T0 }));
    await stripe(invoicePaid({ ...billing, charge: "ch_ch", created: T0 + 5 }));
    await stripe(subscriptionUpdated({ ...billing, status: "canceled", created: T0 + 20 }));
    await sys.waitForIdle();
    const customer = await customerOf(user);
    expect(contact(user)).toMatchObject({ switchyard_lifecycle: "churned", lifecyclestage: "other" });

    // "customer" is earlier than "other" in HubSpot's order: written, ignored, cleared, then set.
    expect(await synced(user, () => viaConsole(customer.id, "entitled", "won back, invoice to follow"))).toBe(3);
    expect(contact(user)).toMatchObject({ switchyard_lifecycle: "customer", lifecyclestage: "customer" });
    expect(await synced(user, () => viaConsole(customer.id, null, "invoice never came"))).toBe(1);
    expect(contact(user)).toMatchObject({ switchyard_lifecycle: "churned", lifecyclestage: "other" });
  });

  it("on a lead: entitled makes a customer, clearing brings the lead back; not entitled on a paying customer churns", async () => {
    const lead = "u-lead";
    await signup(lead);
    await sys.waitForIdle();
    const l = await customerOf(lead);
    expect(contact(lead)).toMatchObject({ switchyard_lifecycle: "lead", lifecyclestage: "lead" });
    expect(await synced(lead, () => viaApi(l.id, "entitled", "design partner"))).toBe(1);
    expect(contact(lead)).toMatchObject({ switchyard_lifecycle: "customer", lifecyclestage: "customer" });
    expect(await synced(lead, () => viaApi(l.id, null, "partnership over"))).toBe(3);
    expect(contact(lead)).toMatchObject({ switchyard_lifecycle: "lead", lifecyclestage: "lead" });

    const paying = "u-paying";
    await signup(paying);
    await sys.waitForIdle();
    const billing = { customer: "cus_pay", plan: "pro" };
    await stripe(checkoutCompleted({ ...billing, userId: paying, email: `${paying}@example.com`, created: T0 }));
    await stripe(invoicePaid({ ...billing, charge: "ch_pay", created: T0 + 5 }));
    await sys.waitForIdle();
    const p = await customerOf(paying);
    expect(contact(paying)).toMatchObject({ switchyard_lifecycle: "customer" });
    expect(await synced(paying, () => viaApi(p.id, "not_entitled", "chargeback under review"))).toBe(1);
    expect(contact(paying)).toMatchObject({ switchyard_lifecycle: "churned", lifecyclestage: "other" });
    expect(await synced(paying, () => viaApi(p.id, null, "chargeback won"))).toBe(3);
    expect(contact(paying)).toMatchObject({ switchyard_lifecycle: "customer", lifecyclestage: "customer" });
  });
});
