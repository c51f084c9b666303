import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { and, eq, schema } from "@switchyard/db";
import {
  appEventRequest,
  checkoutCompleted,
  deleteKeysWithPrefix,
  FakeHubspot,
  freePort,
  invoicePaid,
  signStripe,
  uniquePrefix,
} from "@switchyard/testkit";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_MAIN } from "./cli/testing.ts";
import { launchChromium, signInThroughForm } from "./testing/browser.ts";
import { run } from "./testing/processes.ts";
import { customerByEmail, KEYS, type System, startSystem, until } from "./testing/system.ts";

const OUT = fileURLToPath(new URL("../test-output/console/", import.meta.url));
const ADMIN = { user: "ops", password: "console-browser-password-123" };
const T0 = Math.floor(Date.now() / 1000) - 3_600;

/** What a person sees in an element: its rendered text, hidden parts left out. */
// biome-ignore lint/performance/useDomNodeTextContent: the rendered, visible text is what these tests assert
const seen = (l: Locator) => l.innerText();

describe("the founder's console in headless Chromium", () => {
  let sys: System;
  let hubspot: FakeHubspot;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    hubspot = await FakeHubspot.start({ token: "pat-console" });
    sys = await startSystem({
      label: "console",
      admin: true,
      env: {
        HUBSPOT_ACCESS_TOKEN: "pat-console",
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

  const app = (payload: object) => sys.post("/v1/events", appEventRequest({ payload, apiKey: KEYS.app }));
  const stripe = (event: object) => sys.post("/webhooks/stripe", signStripe({ payload: event, secret: KEYS.stripe }));
  /** A fresh browser profile signed in through the sign-in form, as a person does. */
  const loggedIn = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await signInThroughForm(page, `${sys.adminUrl}/console`, ADMIN);
    return page;
  };

  it("answers every console page 401 without credentials", async () => {
    const context = await browser.newContext();
    for (const path of ["/", "/console", "/console/customers?q=ada%40example.com", "/console/failures"]) {
      expect((await context.request.get(`${sys.adminUrl}${path}`, { maxRedirects: 0 })).status(), path).toBe(401);
    }
    await context.close();
  });

  it("finds a customer by email and shows payment, CRM contact and ticket note on one timeline", async () => {
    expect((await app({ type: "user.signed_up", data: { userId: "u-ada", email: "ada@example.com" } })).status).toBe(
      202,
    );
    await sys.waitForIdle();
    for (const event of [
      checkoutCompleted({ customer: "cus_ada", userId: "u-ada", email: "ada@example.com", plan: "pro", created: T0 }),
      invoicePaid({ customer: "cus_ada", plan: "pro", amount: 4_900, charge: "ch_ada_paid", created: T0 + 5 }),
    ]) {
      expect((await stripe(event)).status).toBe(202);
    }
    await sys.waitForIdle();
    const ticket = await app({
      type: "support.requested",
      data: { userId: "u-ada", subject: "Invoice", message: "Where is my invoice?" },
    });
    expect(ticket.status).toBe(202);
    await sys.waitForIdle();

    const page = await loggedIn();
    await page.goto(`${sys.adminUrl}/`);
    expect(new URL(page.url()).pathname).toBe("/console");
    await page.getByRole("link", { name: "Customer" }).click();
    await page.getByLabel("Email, customer id or app user id").fill("ada@example.com");
    await page.getByRole("button", { name: "Find" }).click();
    const timeline = page.getByTestId("timeline");
    await timeline.waitFor();
    await expect.poll(() => seen(page.getByTestId("customer"))).toContain("ada@example.com");
    const rows = await seen(timeline);
    expect(rows).toContain("invoice.paid");
    expect(rows).toContain("payment 49.00 USD (ch_ada_paid)");
    expect(rows).toMatch(/CRM\s+contact created in hubspot CRM: lead/);
    expect(rows).toMatch(/support\s+context note on ticket app-/);
    await page.screenshot({ path: `${OUT}customer.png`, fullPage: true });

    // An override from the form: the reason is required, the result is on the page and in the audit log.
    await page.getByLabel("override", { exact: true }).selectOption("entitled");
    await page.getByLabel("reason for the override").fill("goodwill while billing is checked");
    await page.getByRole("button", { name: "Set override" }).click();
    await page.getByText("Override set to entitled.").waitFor();
    expect(await seen(page.getByTestId("override"))).toMatch(/^entitled \(set by an operator/);
    const customer = await customerByEmail(sys, "ada@example.com");
    expect(customer?.statusOverride).toBe("entitled");
    await page.context().close();
  });

  it("retries a failure reason from the overview: dry-run count, confirm, resolved, contact written once", async () => {
    hubspot.fail({ hang: true });
    const res = await app({ type: "user.signed_up", data: { userId: "u-late", email: "late@example.com" } });
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

    const page = await loggedIn();
    await page.goto(`${sys.adminUrl}/console/failures`);
    const listed = page.getByTestId("failures");
    await listed.waitFor();
    expect(await seen(listed)).toMatch(/crm_timeout[\s\S]*crm-sync[\s\S]*HubSpot did not answer within 400 ms/);
    await page.screenshot({ path: `${OUT}failures.png`, fullPage: true });

    await page.getByRole("link", { name: "Overview" }).click();
    const reasonRow = page.locator('tr[data-reason="crm_timeout"]');
    expect(await seen(reasonRow)).toMatch(/crm_timeout\s+1/);
    await page.screenshot({ path: `${OUT}overview.png`, fullPage: true });
    await reasonRow.getByRole("button", { name: "Retry all" }).click();
    expect(await seen(page.getByTestId("dry-run-count"))).toBe("1");
    // Nothing has happened yet: the dry run only counts.
    expect((await failures())[0]?.status).toBe("open");
    await page.screenshot({ path: `${OUT}retry-all-confirm.png`, fullPage: true });
    await page.getByLabel("Note (optional)").fill("HubSpot recovered");
    await page.getByRole("button", { name: "Confirm: retry 1 failure(s)" }).click();
    await page.getByText("Retrying 1 crm_timeout failure(s).").waitFor();
    expect(new URL(page.url()).pathname).toBe("/console");

    const [resolved] = await until(async () => {
      const rows = await failures();
      return rows[0]?.status === "resolved" && rows;
    }, "the failure to resolve after the confirm");
    expect(resolved?.resolvedAt).toBeTruthy();
    expect(hubspot.contacts.get("late@example.com")?.writes).toBe(1);
    await page.reload();
    expect(await page.locator('tr[data-reason="crm_timeout"]').count()).toBe(0);
    await page.screenshot({ path: `${OUT}overview-after-retry.png`, fullPage: true });

    const audit = await sys.dbHandle.db.select().from(schema.auditLog);
    expect(audit.find((a) => a.action === "failures.retry_all")).toMatchObject({
      actor: ADMIN.user,
      reason: "HubSpot recovered",
      details: { count: 1 },
    });
    await page.context().close();
  });

  it("refuses a form another site posts to the console: the session cookie stays home (SameSite=Strict)", async () => {
    const before = (await sys.dbHandle.db.select().from(schema.auditLog)).length;
    const page = await loggedIn();
    // A page on another origin whose button posts to admin, as a CSRF attack would.
    await page.route("http://evil.test/**", (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<form method="post" action="${sys.adminUrl}/console/retry-all">
<input type="hidden" name="reason" value="crm_timeout"><button>Win a prize</button></form>`,
      }),
    );
    await page.goto("http://evil.test/");
    const answer = page.waitForResponse((r) => r.url() === `${sys.adminUrl}/console/retry-all`);
    await page.getByRole("button", { name: "Win a prize" }).click();
    const res = await answer;
    // The browser did not send the cookie to a request another site started, so nobody is signed in.
    const sent = await res.request().allHeaders();
    expect(sent.origin).toBe("http://evil.test");
    expect(sent.cookie ?? "").not.toContain("sy_session=");
    expect(res.status()).toBe(401);
    expect((await sys.dbHandle.db.select().from(schema.auditLog)).length).toBe(before);
    await page.context().close();
  });
  it("./sy start with nothing configured: the printed URL and sign-in open the overview and Bull Board; after Log out nothing does", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "sy-console-start-"));
    const prefix = uniquePrefix("console-start");
    // Only what keeps this run apart from the others on the machine: ports, a data dir, a key prefix.
    const start = run(
      CLI_MAIN,
      {
        PATH: process.env.PATH ?? "",
        QUEUE_PREFIX: prefix,
        DATA_DIR: dataDir,
        INGEST_PORT: String(await freePort()),
        ADMIN_PORT: String(await freePort()),
      },
      ["start"],
    );
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      await start.waitFor("switchyard running", 90_000);
      const out = start.output();
      const url = /Console: open (http:\/\/127\.0\.0\.1:\d+\/console) /.exec(out)?.[1] ?? "";
      const [, user = "", password = ""] = /sign in as (\S+) with password (\S+)/.exec(out) ?? [];
      expect(url, out).not.toBe("");
      expect(user).toBe("admin");
      const base = new URL(url).origin;
      const page = await context.newPage();
      const offHost: string[] = [];
      page.on("request", (r) => {
        if (new URL(r.url()).origin !== base) offHost.push(r.url());
      });
      const cspViolations: string[] = [];
      page.on("console", (m) => {
        if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
      });

      await page.goto(url);
      expect(new URL(page.url()).pathname).toBe("/console/login");
      await page.screenshot({ path: `${OUT}start-sign-in.png`, fullPage: true });
      await page.getByLabel("Username").fill(user);
      await page.getByLabel("Password").fill(password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(url);
      expect(await seen(page.locator("h1"))).toBe("Overview");
      expect(await seen(page.getByTestId("signed-in-as"))).toBe("admin (admin)");
      await page.screenshot({ path: `${OUT}start-overview.png`, fullPage: true });

      await page.locator("header").getByRole("link", { name: "Bull Board" }).click();
      await page.waitForURL(`${base}/queues`);
      await page.getByText("crm-sync").first().waitFor({ timeout: 15_000 });
      await page.screenshot({ path: `${OUT}start-bull-board.png`, fullPage: true });
      await page.goto(`${base}/queues/queue/crm-sync`);
      await page.getByText("crm-sync").first().waitFor({ timeout: 15_000 });
      await page.screenshot({ path: `${OUT}start-bull-board-queue.png`, fullPage: true });
      // Bull Board ran under its CSP and fetched nothing (fonts included) from another host.
      expect(cspViolations).toEqual([]);
      expect(offHost).toEqual([]);

      const kept = await context.cookies();
      expect(kept.find((c) => c.name === "sy_session")).toMatchObject({ httpOnly: true, sameSite: "Strict" });
      await page.goto(url);
      await page.getByRole("button", { name: "Log out" }).click();
      await page.waitForURL(/\/console\/login/);
      await page.getByText("Signed out.").waitFor();
      await page.screenshot({ path: `${OUT}start-signed-out.png`, fullPage: true });
      for (const path of ["/console", "/queues"]) {
        await page.goto(`${base}${path}`);
        expect(new URL(page.url()).pathname, path).toBe("/console/login");
      }
      expect((await context.request.get(`${base}/queues/api/queues`)).status()).toBe(401);
      // The cookie from before the logout, kept and sent again, opens nothing either.
      const replay = await browser.newContext();
      await replay.addCookies(kept);
      expect((await replay.request.get(`${base}/api/failures`)).status()).toBe(401);
      await replay.close();
    } finally {
      await context.close();
      expect(await start.stop()).toBe(0);
      rmSync(dataDir, { recursive: true, force: true });
      await deleteKeysWithPrefix(prefix);
    }
  }, 180_000);
});
