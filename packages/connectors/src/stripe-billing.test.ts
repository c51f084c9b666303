import { PermanentError, RetryableError } from "@switchyard/events";
import { FakeStripe, rejectionOf } from "@switchyard/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stripeBilling } from "./stripe-billing.ts";

describe("Stripe billing source against the fake", () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await FakeStripe.start({ secretKey: "sk_test_conn" });
    fake.setSubscription({ id: "sub_1", customer: "cus_1", status: "active", plan: "team" });
  });
  afterEach(() => fake.heal());
  afterAll(() => fake.close());

  const source = (key = "sk_test_conn") => stripeBilling({ secretKey: key, apiBase: fake.url, timeoutMs: 400 });

  it("reads the current subscription", async () => {
    const sub = await source().subscription("sub_1");
    expect(sub).toMatchObject({ id: "sub_1", status: "active", customer: "cus_1" });
  });

  it("links a customer once per idempotency key, however often it is sent", async () => {
    for (let i = 0; i < 3; i++)
      await source().linkCustomer("cus_1", "sy-123", { idempotencyKey: "evt-1-link-customer" });
    await source().linkCustomer("cus_1", "sy-123", { idempotencyKey: "evt-2-link-customer" });
    expect(fake.writesFor("evt-1-link-customer")).toHaveLength(3);
    expect(fake.appliedWrites.map((w) => w.idempotencyKey)).toEqual(["evt-1-link-customer", "evt-2-link-customer"]);
    expect(fake.customers.get("cus_1")?.metadata).toEqual({ switchyard_customer_id: "sy-123" });
  });

  it.each([
    ["a timeout", () => fake.fail({ hang: true }), RetryableError, "billing_timeout"],
    [
      "a 429 with Retry-After",
      () =>
        fake.fail({
          status: 429,
          headers: { "retry-after": "2" },
          body: { error: { type: "rate_limit_error", message: "slow down" } },
        }),
      RetryableError,
      "rate_limited",
    ],
    [
      "a 429 without Retry-After",
      () => fake.fail({ status: 429, body: { error: { type: "rate_limit_error", message: "slow down" } } }),
      RetryableError,
      "rate_limited",
    ],
    [
      "a 5xx",
      () => fake.fail({ status: 500, body: { error: { type: "api_error", message: "boom" } } }),
      RetryableError,
      "upstream_unavailable",
    ],
    [
      "a 401",
      () => fake.fail({ status: 401, body: { error: { type: "invalid_request_error", message: "bad key" } } }),
      PermanentError,
      "auth_failed",
    ],
  ])("maps %s to its reason code", async (_label, inject, type, reason) => {
    inject();
    const err = await rejectionOf(source().subscription("sub_1"));
    expect(err).toBeInstanceOf(type);
    expect((err as RetryableError).reason).toBe(reason);
  });

  it("honours Retry-After on a 429 and never leaks the key", async () => {
    fake.fail({
      times: 1,
      status: 429,
      headers: { "retry-after": "2" },
      body: { error: { type: "rate_limit_error", message: "slow" } },
    });
    const err = (await rejectionOf(source().subscription("sub_1"))) as RetryableError;
    expect(err.retryAfterMs).toBe(2_000);
    const bad = await rejectionOf(source("sk_test_wrong_key").subscription("sub_1"));
    expect((bad as PermanentError).reason).toBe("auth_failed");
    expect(bad.message).not.toContain("sk_test_wrong_key");
  });

  it("treats a missing object as a permanent failure", async () => {
    const err = await rejectionOf(source().invoice("in_missing"));
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as PermanentError).reason).toBe("invalid_payload");
  });
});
