import { appEventRequest } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, post, SECRETS } from "../testing/harness.ts";

const auth = { authorization: `Bearer ${SECRETS.appKey}` };

/** The app's read-only API at the edge: the key before any read, the error shape, and Postgres away. */
describe("GET /v1/customers/{userId}/status and /v1/events/{id} at the edge", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ driver: "postgres", label: "app_reads" });
  });
  afterAll(() => h.close());
  const get = (path: string, headers: Record<string, string> = auth) =>
    h.app.request(`http://ingest.test${path}`, { headers });

  it("a recorded signup is a known user and its event shows its consumer, by id and by key", async () => {
    const res = await post(
      h,
      "/v1/events",
      appEventRequest({
        payload: { type: "user.signed_up", data: { userId: "u-edge", email: "edge@example.com" } },
        apiKey: SECRETS.appKey,
        idempotencyKey: "edge/key?&=1",
      }),
    );
    const { eventId } = (await res.json()) as { eventId: string };
    const status = await get("/v1/customers/u-edge/status");
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ systems: { crm: { state: "pending" } }, nextStep: { code: "none" } });
    const byId = (await (await get(`/v1/events/${eventId}`)).json()) as { consumers: unknown[] };
    expect(byId).toMatchObject({ eventId, status: "received" });
    expect(byId.consumers).toEqual([
      expect.objectContaining({ queue: "crm-sync", job: "app.user.signed_up", state: "pending" }),
    ]);
    const byKey = await get(`/v1/events?idempotencyKey=${encodeURIComponent("edge/key?&=1")}`);
    expect(((await byKey.json()) as { eventId: string }).eventId).toBe(eventId);
  });

  it("a malformed body's rejected delivery is found by its key, as rejected", async () => {
    await post(
      h,
      "/v1/events",
      appEventRequest({ payload: { type: "nope" }, apiKey: SECRETS.appKey, idempotencyKey: "edge-bad" }),
    );
    const res = await get("/v1/events?idempotencyKey=edge-bad");
    expect(await res.json()).toMatchObject({ status: "rejected", reason: "invalid_payload", consumers: [] });
  });

  it("answers 404 in the error shape for what it does not know, 400 without a key to look up", async () => {
    for (const path of ["/v1/customers/u-nobody/status", "/v1/events/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"]) {
      const res = await get(path);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({
        error: { code: "not_found", message: expect.any(String), requestId: expect.any(String) },
      });
    }
    expect((await get("/v1/events?idempotencyKey=never-sent")).status).toBe(404);
    expect((await get("/v1/events")).status).toBe(400);
  });

  it("checks the key before reading, and answers 503 with Retry-After while Postgres is away", async () => {
    await h.dbHandle.close();
    expect((await get("/v1/customers/u-edge/status", {})).status).toBe(401);
    expect((await get("/v1/events?idempotencyKey=x", { authorization: "Bearer wrong" })).status).toBe(401);
    for (const path of ["/v1/customers/u-edge/status", "/v1/events?idempotencyKey=edge-bad"]) {
      const res = await get(path);
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("database_unavailable");
    }
  });
});
