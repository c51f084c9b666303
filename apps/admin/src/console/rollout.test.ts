import { recordShadowWrite } from "@switchyard/connectors";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminHarness, createAdminHarness, ORIGIN } from "../testing/harness.ts";
import { SCRIPT_TAG } from "./page.ts";

describe("console rollout page", () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await createAdminHarness("console_rollout", {
      env: { ROLLOUT_MODES: "crm-sync=shadow,zendesk=off", ROLLOUT_LIVE_PERCENT: "10" },
    });
  });
  afterAll(() => h?.close());

  it("shows each queue's and source's mode and what shadow would have written, escaped", async () => {
    const scope = {
      queue: "crm-sync",
      source: "app",
      eventId: "0192f0a0-0000-7000-8000-000000000001",
      mode: "shadow" as const,
    };
    for (const [i, email] of ["a@example.com", "<script>alert(1)</script>@example.com"].entries())
      await recordShadowWrite(h.dbHandle.db, scope, {
        provider: "hubspot",
        operation: "upsert_contact",
        idempotencyKey: `k-${i}`,
        customerId: null,
        target: email,
        request: { email, lifecycleStage: "lead" },
      });
    const res = await h.get("/console/rollout");
    expect(res.status).toBe(200);
    const body = (await res.text()).replace(SCRIPT_TAG, "");
    expect(body).toMatch(/data-mode="crm-sync">[\s\S]*?shadow/);
    expect(body).toMatch(/data-mode="zendesk">[\s\S]*?off/);
    expect(body).toMatch(/data-mode="billing-sync">[\s\S]*?live/);
    expect(body).toContain("10% of the rest are live");
    expect(body).toMatch(/data-tally="crm-sync:upsert_contact">[\s\S]*?<td class="num">2<\/td>/);
    expect(body).toContain("a@example.com");
    expect(body).not.toContain("<script>alert(1)");
    expect(body).toContain('href="/console/rollout"');
  });

  it("answers 401 without credentials", async () => {
    expect((await h.app.request(`${ORIGIN}/console/rollout`)).status).toBe(401);
  });
});
