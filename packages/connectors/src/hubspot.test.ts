import { PermanentError, RetryableError } from "@switchyard/events";
import { FakeHubspot, rejectionOf } from "@switchyard/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ContactInput } from "./crm.ts";
import { hubspotCrm } from "./hubspot.ts";

const contact: ContactInput = {
  customerId: "0b6f0f5e-1111-4aaa-8bbb-123456789abc",
  email: "Ada@Example.com",
  externalId: "u-1",
  lifecycleStage: "past_due",
  plan: "pro",
};

describe("HubSpot CRM adapter against the fake", () => {
  let fake: FakeHubspot;
  beforeAll(async () => {
    fake = await FakeHubspot.start({ token: "pat-test" });
  });
  afterEach(() => fake.heal());
  afterAll(() => fake.close());

  const crm = (token = "pat-test") => hubspotCrm({ token, baseUrl: fake.url, timeoutMs: 300 });
  const write = (key = "evt-1-contact") => crm().upsertContact(contact, { idempotencyKey: key });

  it("upserts one contact by email with stage and plan, sending the idempotency key", async () => {
    const first = await write();
    const again = await write();
    expect(first).toMatchObject({ created: true });
    expect(again).toMatchObject({ contactId: first.contactId, created: false });
    expect(fake.contacts.size).toBe(1);
    expect(fake.contacts.get("ada@example.com")?.properties).toMatchObject({
      lifecyclestage: "customer",
      switchyard_lifecycle: "past_due",
      switchyard_plan: "pro",
      switchyard_user_id: "u-1",
    });
    expect(fake.upserts().map((r) => r.headers["idempotency-key"])).toEqual(["evt-1-contact", "evt-1-contact"]);
  });

  it.each([
    ["a timeout", () => fake.fail({ hang: true }), RetryableError, "crm_timeout", undefined],
    [
      "a 429 with Retry-After",
      () => fake.rateLimit("TEN_SECONDLY_ROLLING", { retryAfterSeconds: 3 }),
      RetryableError,
      "rate_limited",
      3_000,
    ],
    ["a 429 without Retry-After", () => fake.rateLimit("TEN_SECONDLY_ROLLING"), RetryableError, "rate_limited", 10_000],
    ["a DAILY 429", () => fake.rateLimit("DAILY"), PermanentError, "rate_limited", undefined],
    ["a 5xx", () => fake.fail({ status: 502 }), RetryableError, "upstream_unavailable", undefined],
    ["a 401", () => fake.fail({ status: 401 }), PermanentError, "auth_failed", undefined],
  ])("maps %s to its reason code", async (_label, inject, type, reason, retryAfter) => {
    inject();
    const err = await rejectionOf(write());
    expect(err).toBeInstanceOf(type);
    expect((err as RetryableError).reason).toBe(reason);
    if (retryAfter !== undefined) expect((err as RetryableError).retryAfterMs).toBe(retryAfter);
  });

  it("treats a wrong token as auth_failed, permanently", async () => {
    const err = await rejectionOf(crm("pat-wrong").upsertContact(contact, { idempotencyKey: "k" }));
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).reason).toBe("auth_failed");
    expect(err.message).not.toContain("pat-wrong");
  });

  it("the fake, like HubSpot, ignores a lifecycle stage earlier than the contact's until it is cleared", async () => {
    const raw = (lifecyclestage: string) =>
      fetch(`${fake.url}/crm/v3/objects/contacts/batch/upsert`, {
        method: "POST",
        headers: { authorization: "Bearer pat-test", "content-type": "application/json" },
        body: JSON.stringify({
          inputs: [{ idProperty: "email", id: "raw@example.com", properties: { lifecyclestage } }],
        }),
      });
    const stageOf = () => fake.contacts.get("raw@example.com")?.properties.lifecyclestage;
    expect((await raw("other")).status).toBe(200);
    const ignored = await raw("customer");
    expect(ignored.status).toBe(200);
    expect(
      ((await ignored.json()) as { results: { properties: Record<string, string> }[] }).results[0]?.properties,
    ).toMatchObject({ lifecyclestage: "other" });
    expect(stageOf()).toBe("other");
    await raw("");
    expect(stageOf()).toBe("");
    await raw("customer");
    expect(stageOf()).toBe("customer");
    expect((await raw("evangelist")).status).toBe(200);
    expect(stageOf()).toBe("evangelist");
    expect((await raw("not-a-stage")).status).toBe(207);
  });

  it("moves the stage forward in one write, and backwards by clearing it first, in requests of their own", async () => {
    const to = (lifecycleStage: ContactInput["lifecycleStage"], key: string) =>
      crm().upsertContact({ ...contact, email: "stage@example.com", lifecycleStage }, { idempotencyKey: key });
    const stage = () => fake.contacts.get("stage@example.com")?.properties;
    const stagesSent = () =>
      fake
        .upserts()
        .map((r) => (r.body as { inputs: { id: string; properties: Record<string, string> }[] }).inputs[0])
        .filter((i) => i?.id === "stage@example.com")
        .map((i) => i?.properties.lifecyclestage);
    await to("lead", "e1-contact");
    await to("customer", "e2-contact");
    await to("churned", "e3-contact");
    expect(stagesSent()).toEqual(["lead", "customer", "other"]);
    expect(stage()).toMatchObject({ lifecyclestage: "other", switchyard_lifecycle: "churned" });
    // Back from churned (HubSpot's "other") to customer, then down to lead: each is clear, then set.
    await to("customer", "e4-contact");
    expect(stage()).toMatchObject({ lifecyclestage: "customer", switchyard_lifecycle: "customer" });
    await to("lead", "e5-contact");
    expect(stage()).toMatchObject({ lifecyclestage: "lead", switchyard_lifecycle: "lead" });
    expect(stagesSent()).toEqual(["lead", "customer", "other", "customer", "", "customer", "lead", "", "lead"]);
    expect(
      fake
        .upserts()
        .slice(-3)
        .map((r) => r.headers["idempotency-key"]),
    ).toEqual(["e5-contact", "e5-contact-clear-stage", "e5-contact-stage"]);
    // Past due is a customer to HubSpot: no stage move at all, only Switchyard's own property.
    await to("past_due", "e6-contact");
    expect(stagesSent().slice(-1)).toEqual(["customer"]);
    expect(stage()).toMatchObject({ lifecyclestage: "customer", switchyard_lifecycle: "past_due" });
  });

  it("handles a 207 partial failure per item", async () => {
    const err = await rejectionOf(crm().upsertContact({ ...contact, email: "not-an-email" }, { idempotencyKey: "k2" }));
    expect(err).toBeInstanceOf(PermanentError);
    expect(err.message).toMatch(/refused the contact: invalid email/);
  });
});
