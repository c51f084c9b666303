import { invoicePaid, signStripe, signStripeBody, stripeEvent } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, DRIVERS, type Harness, post, SECRETS } from "../testing/harness.ts";

describe.each(DRIVERS)("POST /webhooks/stripe on %s", (driver) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ driver, label: `stripe_${driver}` });
  });
  afterAll(() => h.close());

  async function expectNothingWritten(before: { rows: number; jobs: number }) {
    expect((await h.eventRows()).length).toBe(before.rows);
    expect(await h.totalJobs()).toBe(before.jobs);
  }
  const snapshot = async () => ({ rows: (await h.eventRows()).length, jobs: await h.totalJobs() });

  it("accepts a signed event: one row, one billing-sync job keyed by the event id", async () => {
    const event = invoicePaid({ customer: "cus_1" });
    const res = await post(h, "/webhooks/stripe", signStripe({ payload: event, secret: SECRETS.stripe }));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { status: string; eventId: string; queues: string[] };
    expect(body).toMatchObject({ status: "accepted", queues: ["billing-sync"] });
    // The job is in Redis when the answer is sent; the row stays `received` until a worker is done.
    expect(await h.jobExists("billing-sync", body.eventId)).toBe(true);
    const rows = await h.eventRows(event.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: body.eventId,
      type: "stripe.invoice.paid",
      source: "stripe",
      status: "received",
    });
    expect(await h.jobCount("crm-sync")).toBe(0);
  });

  it.each([
    [
      "a tampered body",
      () => {
        const signed = signStripe({ payload: invoicePaid({ customer: "cus_t" }), secret: SECRETS.stripe });
        return { ...signed, body: signed.body.replace("cus_t", "cus_x") };
      },
    ],
    ["a wrong secret", () => signStripe({ payload: invoicePaid({ customer: "cus_w" }), secret: "whsec_not_ours" })],
    [
      "a 10-minute-old timestamp",
      () =>
        signStripe({
          payload: invoicePaid({ customer: "cus_o" }),
          secret: SECRETS.stripe,
          timestamp: Math.floor(Date.now() / 1000) - 600,
        }),
    ],
    [
      "no signature header",
      () => ({
        body: JSON.stringify(invoicePaid({ customer: "cus_n" })),
        headers: { "content-type": "application/json" },
      }),
    ],
  ])("rejects %s with 401 and writes nothing to Postgres or Redis", async (_label, build) => {
    const before = await snapshot();
    const res = await post(h, "/webhooks/stripe", build());
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe("auth_failed");
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
    await expectNothingWritten(before);
  });

  it("verifies with both the old and the new secret during rotation", async () => {
    for (const secret of [SECRETS.stripe, SECRETS.stripeOld]) {
      const res = await post(
        h,
        "/webhooks/stripe",
        signStripe({ payload: invoicePaid({ customer: "cus_r" }), secret }),
      );
      expect(res.status).toBe(202);
    }
  });

  it("records a re-delivery once and answers it as a duplicate", async () => {
    const event = invoicePaid({ customer: "cus_d" });
    const first = await post(h, "/webhooks/stripe", signStripe({ payload: event, secret: SECRETS.stripe }));
    const again = await post(h, "/webhooks/stripe", signStripe({ payload: event, secret: SECRETS.stripe }));
    expect(first.status).toBe(202);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: "duplicate" });
    const rows = await h.eventRows(event.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.duplicates).toBe(1);
  });

  it("turns 20 concurrent deliveries of one event into one row and one job per routed queue", async () => {
    const before = await snapshot();
    const event = stripeEvent("checkout.session.completed", {
      id: "cs_1",
      object: "checkout.session",
      customer: "cus_c",
    });
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        post(h, "/webhooks/stripe", signStripe({ payload: event, secret: SECRETS.stripe })),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 202)).toHaveLength(1);
    expect(statuses.filter((s) => s === 200)).toHaveLength(19);
    const rows = await h.eventRows(event.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.duplicates).toBe(19);
    expect(await h.totalJobs()).toBe(before.jobs + 1);
    expect(await h.jobExists("billing-sync", rows[0]?.id ?? "")).toBe(true);
  });

  it("keeps an authenticated but malformed event as rejected and answers 400 invalid_payload", async () => {
    const signed = signStripe({ payload: { id: "evt_bad", type: "invoice.paid" }, secret: SECRETS.stripe });
    const before = await snapshot();
    const res = await post(h, "/webhooks/stripe", signed);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_payload");
    const rows = await h.eventRows();
    expect(rows.length).toBe(before.rows + 1);
    const rejected = rows.find((r) => r.status === "rejected");
    expect(rejected).toMatchObject({ reason: "invalid_payload", rawBody: signed.body, type: "stripe.invalid" });
    expect(await h.totalJobs()).toBe(before.jobs);
  });

  it("keeps a signed body that is not JSON as rejected (400), not as an auth failure", async () => {
    const body = '{"id": "evt_truncated", "type": "invoice.pa';
    const res = await post(h, "/webhooks/stripe", signStripeBody({ body, secret: SECRETS.stripe }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/);
    const rows = await h.eventRows();
    expect(rows.find((r) => r.rawBody === body)).toMatchObject({ status: "rejected", reason: "invalid_payload" });
  });

  it("checks an event from a connected account with the Connect secret: the platform's is 401, nothing written", async () => {
    const event = { ...invoicePaid({ customer: "cus_connect" }), account: "acct_connected" };
    const refused = await post(h, "/webhooks/stripe", signStripe({ payload: event, secret: SECRETS.stripe }));
    expect(refused.status).toBe(401);
    expect(await h.eventRows(event.id)).toEqual([]);
    const res = await post(h, "/webhooks/stripe", signStripe({ payload: event, secret: SECRETS.stripeConnect }));
    expect(res.status).toBe(202);
    expect((await h.eventRows(event.id))[0]?.payload).toEqual(event);
  });

  it("stores the event exactly as sent, with the fields ingest does not read", async () => {
    const event = {
      ...invoicePaid({ customer: "cus_full" }),
      request: { id: "req_123", idempotency_key: "key_123" },
      data: { object: { id: "in_x", customer: "cus_full" }, previous_attributes: { status: "open" } },
    };
    const res = await post(h, "/webhooks/stripe", signStripe({ payload: event, secret: SECRETS.stripe }));
    expect(res.status).toBe(202);
    const [row] = await h.eventRows(event.id);
    expect(row?.payload).toEqual(event);
  });

  it("records an event no queue routes as processed, without a job", async () => {
    const before = await snapshot();
    const event = stripeEvent("product.created", { id: "prod_1", object: "product" });
    const res = await post(h, "/webhooks/stripe", signStripe({ payload: event, secret: SECRETS.stripe }));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ queues: [] });
    expect((await h.eventRows(event.id))[0]?.status).toBe("processed");
    expect(await h.totalJobs()).toBe(before.jobs);
  });

  it("answers 413 for a body over 1 MiB and writes nothing", async () => {
    const before = await snapshot();
    const event = stripeEvent("invoice.paid", { id: "in_big", object: "invoice", memo: "x".repeat(1024 * 1024) });
    const res = await post(h, "/webhooks/stripe", signStripe({ payload: event, secret: SECRETS.stripe }));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    await expectNothingWritten(before);
  });

  it("answers 404 in the error shape for an unknown source", async () => {
    const res = await post(h, "/webhooks/paypal", { body: "{}", headers: {} });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { code: string; requestId: string } };
    expect(body.error).toMatchObject({ code: "not_found" });
    expect(body.error.requestId).toBeTruthy();
  });

  it("never echoes a secret in a response or a log line", async () => {
    const res = await post(
      h,
      "/webhooks/stripe",
      signStripe({ payload: invoicePaid({ customer: "c" }), secret: "whsec_wrong" }),
    );
    const text = await res.text();
    for (const secret of Object.values(SECRETS)) {
      expect(text).not.toContain(secret);
      expect(h.logs.join("\n")).not.toContain(secret);
    }
  });
});
