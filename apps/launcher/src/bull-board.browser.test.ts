import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { and, eq, schema } from "@switchyard/db";
import { appEventRequest, FakeHubspot } from "@switchyard/testkit";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, signInThroughForm } from "./testing/browser.ts";
import { KEYS, type System, startSystem, until } from "./testing/system.ts";

const OUT = fileURLToPath(new URL("../test-output/bull-board/", import.meta.url));
const ADMIN = { user: "ops", password: "browser-test-password-123" };

describe("Bull Board in headless Chromium", () => {
  let sys: System;
  let hubspot: FakeHubspot;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    hubspot = await FakeHubspot.start({ token: "pat-browser" });
    sys = await startSystem({
      label: "bullboard",
      admin: true,
      env: {
        HUBSPOT_ACCESS_TOKEN: "pat-browser",
        HUBSPOT_API_BASE: hubspot.url,
        // Long enough that a healthy answer on a loaded machine is not taken for a hang (and retried).
        PROVIDER_TIMEOUT_MS: "400",
        RETRY_ATTEMPTS: "2",
        RETRY_BACKOFF_MS: "20",
        ADMIN_USER: ADMIN.user,
        ADMIN_PASSWORD: ADMIN.password,
      },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await sys?.close();
    await hubspot?.close();
  });

  it("answers the page 401 without credentials", async () => {
    // The browser's own request API: a Basic challenge would otherwise turn into a login prompt.
    const context = await browser.newContext();
    for (const path of ["/queues", "/queues/api/queues"]) {
      expect((await context.request.get(`${sys.adminUrl}${path}`)).status(), path).toBe(401);
    }
    await context.close();
  });

  it("logs in, clicks Retry on a crm_timeout failure, and the contact is written exactly once", async () => {
    hubspot.fail({ hang: true });
    const res = await sys.post(
      "/v1/events",
      appEventRequest({
        payload: { type: "user.signed_up", data: { userId: "u-click", email: "click@example.com" } },
        apiKey: KEYS.app,
      }),
    );
    expect(res.status).toBe(202);
    const failures = () =>
      sys.dbHandle.db
        .select()
        .from(schema.failures)
        .where(and(eq(schema.failures.reason, "crm_timeout")));
    await until(async () => (await failures()).length === 1, "the failure");
    await until(
      async () => (await sys.registry.failure("crm_timeout").getJobCountByTypes("failed")) === 1,
      "the parked job",
    );
    hubspot.heal();

    const context = await browser.newContext();
    const page = await context.newPage();
    await signInThroughForm(page, `${sys.adminUrl}/queues`, ADMIN);
    await page.screenshot({ path: `${OUT}overview.png`, fullPage: true });
    await page.goto(`${sys.adminUrl}/queues/queue/failed.crm_timeout?status=failed`);
    // Bull Board's per-job Retry is an icon button whose label is a hover tooltip.
    const retry = page.locator("li button:has(svg.lucide-refresh-cw)").first();
    try {
      await retry.waitFor({ timeout: 10_000 });
    } catch (err) {
      await page.screenshot({ path: `${OUT}no-retry-button.png`, fullPage: true });
      const buttons = await page
        .locator("button")
        .evaluateAll((bs) =>
          bs.map((b) => `${b.textContent}|${b.getAttribute("title")}|${b.getAttribute("aria-label")}`),
        );
      throw new Error(`no Retry button; buttons: ${JSON.stringify(buttons)}`, { cause: err });
    }
    await page.screenshot({ path: `${OUT}failed-crm_timeout.png`, fullPage: true });
    await retry.click();
    const confirm = page.getByRole("button", { name: /^(confirm|yes|retry)$/i });
    if (await confirm.count()) await confirm.last().click();

    const [resolved] = await until(async () => {
      const rows = await failures();
      return rows[0]?.status === "resolved" && rows;
    }, "the failure to resolve after the click");
    expect(resolved?.resolvedAt).toBeTruthy();
    expect(hubspot.contacts.get("click@example.com")?.writes).toBe(1);
    await page.goto(`${sys.adminUrl}/queues/queue/crm-sync?status=completed`);
    await page.getByText("app.user.signed_up").first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${OUT}crm-sync-completed.png`, fullPage: true });

    const audit = await sys.dbHandle.db.select().from(schema.auditLog);
    expect(audit.some((a) => a.actor === ADMIN.user && a.action.startsWith("bull-board PUT"))).toBe(true);
  });
});
