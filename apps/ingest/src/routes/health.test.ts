import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../testing/harness.ts";

describe("health", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ driver: "postgres", label: "health" });
  });
  afterAll(() => h.close());

  it("GET /healthz answers while the process is up", async () => {
    const res = await h.app.request("/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("GET /readyz answers 200 when Redis and Postgres are reachable", async () => {
    const res = await h.app.request("/readyz");
    expect(res.status).toBe(200);
  });

  it("unknown routes answer 404 in the error shape, carrying the caller's request id", async () => {
    const res = await h.app.request("/nope", { headers: { "x-request-id": "req-abc-123" } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { code: "not_found", message: "no such route", requestId: "req-abc-123" },
    });
  });
});
