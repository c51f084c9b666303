import { appEventRequest } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, DRIVERS, type Harness, post, SECRETS } from "../testing/harness.ts";

const signup = (userId: string) => ({ type: "user.signed_up", data: { userId, email: `${userId}@example.com` } });

describe.each(DRIVERS)("POST /v1/events on %s", (driver) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({
      driver,
      label: `app_${driver}`,
      env: { APP_API_KEYS: `sy_old_key_1234,${SECRETS.appKey}` },
    });
  });
  afterAll(() => h.close());
  const snapshot = async () => ({ rows: (await h.eventRows()).length, jobs: await h.totalJobs() });

  it("accepts a signup with either configured key and dedupes on Idempotency-Key", async () => {
    const req = appEventRequest({ payload: signup("u1"), apiKey: SECRETS.appKey, idempotencyKey: "signup-u1" });
    const res = await post(h, "/v1/events", req);
    expect(res.status).toBe(202);
    const { eventId } = (await res.json()) as { eventId: string };
    expect(await h.jobExists("crm-sync", eventId)).toBe(true);
    const again = await post(
      h,
      "/v1/events",
      appEventRequest({ payload: signup("u1"), apiKey: "sy_old_key_1234", idempotencyKey: "signup-u1" }),
    );
    expect(again.status).toBe(200);
    expect(await h.eventRows("signup-u1")).toHaveLength(1);
    expect(await h.jobCount("crm-sync")).toBe(1);
  });

  it("rejects a missing or wrong bearer key with 401 before reading anything", async () => {
    const before = await snapshot();
    const wrong = appEventRequest({ payload: signup("u2"), apiKey: "sy_guess" });
    const missing = { ...wrong, headers: { ...wrong.headers, authorization: "" } };
    expect((await post(h, "/v1/events", wrong)).status).toBe(401);
    expect((await post(h, "/v1/events", missing)).status).toBe(401);
    expect(await snapshot()).toEqual(before);
  });

  it("requires an Idempotency-Key", async () => {
    const req = appEventRequest({ payload: signup("u3"), apiKey: SECRETS.appKey });
    delete req.headers["idempotency-key"];
    const res = await post(h, "/v1/events", req);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
  });

  it("refuses to reuse an Idempotency-Key for a different body (409)", async () => {
    await post(
      h,
      "/v1/events",
      appEventRequest({ payload: signup("u4"), apiKey: SECRETS.appKey, idempotencyKey: "k-u4" }),
    );
    const res = await post(
      h,
      "/v1/events",
      appEventRequest({ payload: signup("u5"), apiKey: SECRETS.appKey, idempotencyKey: "k-u4" }),
    );
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("idempotency_conflict");
  });

  it.each([
    ["an unknown type", { type: "user.teleported", data: { userId: "u" } }],
    ["a login without device", { type: "user.logged_in", data: { userId: "u", platform: "ios" } }],
    ["a bad email", { type: "user.signed_up", data: { userId: "u", email: "not-an-email" } }],
  ])("keeps %s as rejected with 400 invalid_payload", async (_l, payload) => {
    const key = `bad-${Math.random()}`;
    const res = await post(h, "/v1/events", appEventRequest({ payload, apiKey: SECRETS.appKey, idempotencyKey: key }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("invalid_payload");
    expect(body.error.message).toMatch(/data|type/);
    expect((await h.eventRows(`invalid-${key}`))[0]).toMatchObject({ status: "rejected", reason: "invalid_payload" });
    // The key is not used up: the corrected event is accepted under it.
    const fixed = await post(
      h,
      "/v1/events",
      appEventRequest({ payload: signup(`fix-${key}`), apiKey: SECRETS.appKey, idempotencyKey: key }),
    );
    expect(fixed.status).toBe(202);
  });

  it("keeps rejected deliveries in a key space no caller's key reaches, `invalid-<key>` included", async () => {
    const bad = { type: "user.signed_up", data: { userId: "ns", email: "not-an-email" } };
    const rejected = await post(
      h,
      "/v1/events",
      appEventRequest({ payload: bad, apiKey: SECRETS.appKey, idempotencyKey: "nsX" }),
    );
    expect(rejected.status).toBe(400);
    // The very key the rejected row used to be stored under: a valid event of its own.
    const valid = await post(
      h,
      "/v1/events",
      appEventRequest({ payload: signup("ns-valid"), apiKey: SECRETS.appKey, idempotencyKey: "invalid-nsX" }),
    );
    expect(valid.status).toBe(202);
    const again = await post(
      h,
      "/v1/events",
      appEventRequest({ payload: signup("ns-valid"), apiKey: SECRETS.appKey, idempotencyKey: "invalid-nsX" }),
    );
    expect(again.status).toBe(200);
    // A second malformed body under nsX is the same rejected row, counted once more.
    expect(
      (await post(h, "/v1/events", appEventRequest({ payload: bad, apiKey: SECRETS.appKey, idempotencyKey: "nsX" })))
        .status,
    ).toBe(400);
    const rows = await h.eventRows("invalid-nsX");
    expect(rows.map((r) => [r.status, r.rejected, r.duplicates]).sort()).toEqual([
      ["received", false, 1],
      ["rejected", true, 1],
    ]);
    // A malformed body under the valid event's key does not touch it either.
    const late = await post(
      h,
      "/v1/events",
      appEventRequest({ payload: bad, apiKey: SECRETS.appKey, idempotencyKey: "invalid-nsX" }),
    );
    expect(late.status).toBe(400);
    expect((await h.eventRows("invalid-nsX")).find((r) => !r.rejected)?.status).toBe("received");
  });

  it("routes support.requested to support-context and ai-triage; records a login without routing it", async () => {
    const support = await post(
      h,
      "/v1/events",
      appEventRequest({
        payload: { type: "support.requested", data: { userId: "u6", subject: "Refund", message: "please" } },
        apiKey: SECRETS.appKey,
      }),
    );
    expect(await support.json()).toMatchObject({ queues: ["support-context", "ai-triage"] });
    const login = await post(
      h,
      "/v1/events",
      appEventRequest({
        payload: { type: "user.logged_in", data: { userId: "u6", device: "iPhone 17", platform: "ios" } },
        apiKey: SECRETS.appKey,
      }),
    );
    expect(login.status).toBe(202);
    expect(await login.json()).toMatchObject({ queues: [] });
  });
});
