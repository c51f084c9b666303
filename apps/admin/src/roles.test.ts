import { eq, schema } from "@switchyard/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveAccount } from "./accounts.ts";
import { type AdminHarness, createAdminHarness } from "./testing/harness.ts";
import { asBrowser, signInAs } from "./testing/sign-in.ts";

const PEOPLE = {
  vera: { role: "viewer", password: "vera-reads-only-77" },
  otto: { role: "operator", password: "otto-retries-88" },
  ada: { role: "admin", password: "ada-decides-99" },
} as const;

describe("roles: viewer reads, operator acts, admin overrides and manages accounts", () => {
  let h: AdminHarness;
  const cookies: Record<keyof typeof PEOPLE, string> = { vera: "", otto: "", ada: "" };
  let failureId: string;
  let customerId: string;

  beforeAll(async () => {
    h = await createAdminHarness("roles", { failureWorkers: true });
    for (const [name, p] of Object.entries(PEOPLE)) {
      await saveAccount(h.dbHandle.db, { name, role: p.role, password: p.password });
      cookies[name as keyof typeof PEOPLE] = await signInAs(h, name, p.password);
    }
    failureId = (await h.park({ reason: "crm_timeout", jobId: "roles-1" })).id;
    const [customer] = await h.dbHandle.db
      .insert(schema.customers)
      .values({ email: "roles@example.com" })
      .returning({ id: schema.customers.id });
    customerId = customer?.id ?? "";
  });
  afterAll(() => h?.close());

  const parked = () => h.registry.failure("crm_timeout").getJobs(["failed", "waiting", "active", "delayed"]);
  const failureStatus = async () =>
    (await h.dbHandle.db.select().from(schema.failures).where(eq(schema.failures.id, failureId)))[0]?.status;

  /** Every write route the app has, Bull Board's API included, with its parameters filled in. */
  async function writeRoutes(): Promise<{ method: string; path: string }[]> {
    const [job] = await parked();
    const values: Record<string, string> = {
      id: failureId,
      queueName: "failed.crm_timeout",
      queueStatus: "failed",
      jobId: job?.id ?? "none",
      schedulerId: "none",
    };
    const seen = new Map<string, { method: string; path: string }>();
    for (const r of h.app.routes) {
      if (["GET", "HEAD", "OPTIONS", "ALL"].includes(r.method)) continue;
      if (r.path === "/console/login" || r.path === "/console/logout") continue;
      const path = r.path.replace(/:(\w+)/g, (_, k: string) => values[k] ?? "x");
      seen.set(`${r.method} ${path}`, { method: r.method, path });
    }
    return [...seen.values()];
  }

  it("lets a viewer read every page, and refuses every write of the console, /api and Bull Board with 403, changing nothing", async () => {
    const vera = asBrowser(h, cookies.vera);
    for (const path of [
      "/console",
      "/console/failures",
      `/console/customers?q=roles%40example.com`,
      "/api/failures",
      "/api/audit",
      "/queues",
      "/queues/queue/failed.crm_timeout?status=failed",
      "/queues/api/queues",
    ]) {
      expect((await vera(path)).status, path).toBe(200);
    }
    const routes = await writeRoutes();
    // The console's five forms, the API's five writes and Bull Board's own: none left out.
    expect(routes.filter((r) => r.path.startsWith("/console/")).length).toBeGreaterThanOrEqual(5);
    expect(routes.filter((r) => r.path.startsWith("/api/")).length).toBeGreaterThanOrEqual(5);
    expect(routes.filter((r) => r.path.startsWith("/queues/api/")).length).toBeGreaterThanOrEqual(20);
    const auditBefore = (await h.audit()).length;
    const jobsBefore = (await parked()).map((j) => j.id);
    for (const r of routes) {
      const res = r.path.startsWith("/console/")
        ? await vera(r.path, { method: r.method, form: { reason: "a reason", status: "entitled", note: "n" } })
        : await vera(r.path, { method: r.method, json: { reason: "a reason", status: "entitled", confirm: true } });
      expect(res.status, `${r.method} ${r.path}`).toBe(403);
      if (!r.path.startsWith("/console/")) {
        expect(((await res.json()) as { error: { code: string } }).error.code, r.path).toBe("forbidden");
      }
    }
    expect((await h.audit()).length).toBe(auditBefore);
    expect(await failureStatus()).toBe("open");
    expect((await parked()).map((j) => j.id)).toEqual(jobsBefore);
    expect(await h.registry.failure("crm_timeout").isPaused()).toBe(false);
    const [customer] = await h.dbHandle.db.select().from(schema.customers).where(eq(schema.customers.id, customerId));
    expect(customer?.statusOverride).toBeNull();
  });

  it("refuses an operator the override and Bull Board's queue-wide changes, and lets them retry", async () => {
    const otto = asBrowser(h, cookies.otto);
    const override = { json: { status: "entitled", reason: "goodwill" }, method: "POST" };
    expect((await otto(`/api/customers/${customerId}/override`, override)).status).toBe(403);
    expect(
      (
        await otto(`/console/customers/${customerId}/override`, {
          method: "POST",
          form: { status: "entitled", reason: "goodwill" },
        })
      ).status,
    ).toBe(403);
    for (const action of ["pause", "empty", "obliterate"]) {
      expect((await otto(`/queues/api/queues/failed.crm_timeout/${action}`, { method: "PUT" })).status, action).toBe(
        403,
      );
    }
    const retried = await otto(`/api/failures/${failureId}/retry`, { method: "POST", json: {} });
    expect(retried.status).toBe(200);
    const audit = await h.audit();
    expect(audit.find((a) => a.action === "failure.retry")).toMatchObject({ actor: "otto", target: failureId });
  });

  it("lets an admin override, and names the admin in the audit log", async () => {
    const ada = asBrowser(h, cookies.ada);
    const res = await ada(`/api/customers/${customerId}/override`, {
      method: "POST",
      json: { status: "entitled", reason: "goodwill while billing is checked" },
    });
    expect(res.status).toBe(200);
    const audit = await h.audit();
    expect(audit.find((a) => a.action === "customer.override")).toMatchObject({ actor: "ada", target: customerId });
  });

  it("shows everyone the accounts, and lets only an admin add, change and remove them", async () => {
    const listed = await (await asBrowser(h, cookies.otto)("/console/accounts")).text();
    expect(listed).toContain('data-account="ada"');
    expect(listed).not.toContain("Save account");
    expect(listed).not.toContain("scrypt$");
    const form = { name: "newbie", role: "admin", password: "newbie-password-12" };
    expect((await asBrowser(h, cookies.otto)("/console/accounts", { method: "POST", form })).status).toBe(403);

    const ada = asBrowser(h, cookies.ada);
    expect(await (await ada("/console/accounts")).text()).toContain("Save account");
    const created = await ada("/console/accounts", { method: "POST", form: { ...form, role: "viewer" } });
    expect(created.status).toBe(303);
    expect(created.headers.get("location")).toBe("/console/accounts?flash=Created+newbie+%28viewer%29.");
    expect(await signInAs(h, "newbie", form.password)).toMatch(/^sy_session=/);
    const short = await ada("/console/accounts", { method: "POST", form: { ...form, password: "short" } });
    expect(short.headers.get("location")).toMatch(/error=the\+password\+needs\+at\+least\+12/);
    expect((await ada("/console/accounts/newbie/remove", { method: "POST" })).status).toBe(303);
    expect((await ada("/console/accounts")).status).toBe(200);
    const actions = (await h.audit()).filter((a) => a.action.startsWith("account."));
    expect(actions.map((a) => [a.actor, a.action, a.target])).toEqual([
      ["ada", "account.create", "newbie"],
      ["ada", "account.remove", "newbie"],
    ]);
  });

  it("signs an account out when admin:user sets its role and password again; the new role holds from the next sign-in", async () => {
    await saveAccount(h.dbHandle.db, { name: "vera", role: "operator", password: PEOPLE.vera.password });
    expect((await asBrowser(h, cookies.vera)("/console")).status).toBe(303);
    const again = await signInAs(h, "vera", PEOPLE.vera.password);
    const res = await asBrowser(h, again)("/queues/api/queues/failed.crm_timeout/pause", { method: "PUT" });
    expect(res.status).toBe(403);
  });
});
