import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminHarness, createAdminHarness } from "./testing/harness.ts";

describe("Bull Board's pages", () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await createAdminHarness("bull_board_headers");
  });
  afterAll(() => h?.close());

  it("cannot be framed, load nothing from another host, and are not sniffed, on every page and job page", async () => {
    for (const path of [
      "/queues",
      "/queues/queue/crm-sync",
      "/queues/queue/failed.crm_timeout?status=failed",
      "/queues/queue/crm-sync/some-job-id",
      "/queues/job-schedulers",
    ]) {
      const res = await h.get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toContain("default-src 'none'");
      expect(csp, path).toContain("script-src 'self'");
      const page = await res.text();
      expect(page, path).toContain("static/js/main.");
      expect(page, path).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    }
    const api = await h.get("/queues/api/queues");
    expect(api.headers.get("x-frame-options")).toBe("DENY");
    expect(api.headers.get("x-content-type-options")).toBe("nosniff");
  });
});
