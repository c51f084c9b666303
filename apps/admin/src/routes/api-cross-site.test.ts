import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminHarness, CREDS, createAdminHarness, ORIGIN } from "../testing/harness.ts";

describe("admin JSON APIs and cross-site requests", () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await createAdminHarness("api_cross_site");
    await h.park({ reason: "crm_timeout", jobId: "xsite-1" });
  });
  afterAll(() => h?.close());

  const basic = `Basic ${Buffer.from(`${CREDS.user}:${CREDS.password}`).toString("base64")}`;
  // What a `<form enctype="text/plain">` on another site can send: a body that parses as JSON.
  const formJson = '{"reason":"crm_timeout","dryRun":false,"note":"="}';
  const send = (path: string, headers: Record<string, string>, method = "POST") =>
    h.app.request(`${ORIGIN}${path}`, {
      method,
      body: formJson,
      headers: { authorization: basic, "content-type": "text/plain", ...headers },
    });

  it("refuses a write a browser marks as cross-site, in the admin error shape, before any handler runs", async () => {
    const attempts: Record<string, string>[] = [
      { "sec-fetch-site": "cross-site", origin: "https://evil.example" },
      { "sec-fetch-site": "same-site" },
      { origin: "https://evil.example" },
    ];
    for (const headers of attempts) {
      const res = await send("/api/failures/retry-all", headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
      expect(body.error.code).toBe("forbidden");
      expect(body.error.message).toMatch(/^cross-site request refused/);
      expect(body.error.requestId).toBeTruthy();
    }
    const board = await send(
      "/queues/api/queues/failed.crm_timeout/retry/failed",
      { origin: "https://evil.example" },
      "PUT",
    );
    expect(board.status).toBe(403);
    expect(await h.audit()).toEqual([]);
  });

  it("still answers scripts (no browser headers), the same origin, and every read", async () => {
    const script = await send("/api/failures/retry-all", {});
    expect(script.status).toBe(200);
    expect(await script.json()).toMatchObject({ reason: "crm_timeout", dryRun: false });
    const sameOrigin = await send("/api/failures/retry-all", { "sec-fetch-site": "same-origin", origin: ORIGIN });
    expect(sameOrigin.status).toBe(200);
    const read = await h.app.request(`${ORIGIN}/api/failures`, {
      headers: { authorization: basic, "sec-fetch-site": "cross-site" },
    });
    expect(read.status).toBe(200);
    expect((await h.audit()).filter((a) => a.action === "failures.retry_all")).toHaveLength(2);
  });
});
