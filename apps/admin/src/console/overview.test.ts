import { eq, schema } from "@switchyard/db";
import { failureQueueName, REASON_CODES, WORK_QUEUES } from "@switchyard/events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminHarness, CREDS, createAdminHarness, ORIGIN } from "../testing/harness.ts";
import type { KpiView } from "./kpis.ts";
import { SCRIPT_TAG } from "./page.ts";

const until = async (check: () => Promise<boolean>, what: string) => {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > 15_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe("console overview", () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await createAdminHarness("console_overview", { failureWorkers: true });
  });
  afterAll(() => h?.close());

  const parkedCount = () => h.registry.failure("crm_timeout").getJobCountByTypes("failed");
  const statusOf = async (id: string) =>
    (await h.dbHandle.db.select().from(schema.failures).where(eq(schema.failures.id, id)))[0]?.status;

  it("sends / to the console, and answers 401 to every console page and form without credentials", async () => {
    const root = await h.get("/");
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("/console");
    for (const path of ["/console", "/console/customers?q=a@b.c", "/console/failures", "/console/retry-all"]) {
      const res = await h.app.request(`${ORIGIN}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Basic/);
    }
    const post = await h.app.request(`${ORIGIN}/console/retry-all`, {
      method: "POST",
      body: "reason=crm_timeout",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: ORIGIN },
    });
    expect(post.status).toBe(401);
    const bearer = await h.app.request(`${ORIGIN}/console`, { headers: { authorization: `Bearer ${CREDS.token}` } });
    expect(bearer.status).toBe(200);
  });

  it("shows every work and failure queue's depth, open failures by reason, and says KPIs are not configured", async () => {
    await h.registry.get("billing-sync").add("stripe.invoice.paid", { n: 1 }, { jobId: "depth-1", delay: 60_000 });
    const f = await h.park({ reason: "rate_limited", jobId: "overview-rl-1" });
    await until(async () => (await h.registry.failure("rate_limited").getJobCountByTypes("failed")) === 1, "parking");
    const res = await h.get("/console");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    const page = await res.text();
    for (const q of [...WORK_QUEUES, ...REASON_CODES.map(failureQueueName)])
      expect(page).toContain(`data-queue="${q}"`);
    expect(page).toMatch(
      /data-queue="billing-sync">[\s\S]*?<td class="num">0<\/td>[\s\S]*?<td class="num">0<\/td>[\s\S]*?<td class="num">1<\/td>/,
    );
    expect(page).toContain('data-reason="rate_limited"');
    expect(page).toContain('href="/console/failures?reason=rate_limited"');
    expect(page).toContain("Retry all");
    expect(page).toContain("KPIs not configured");
    expect(page).toContain('href="/queues"');
    await h.dbHandle.db.update(schema.failures).set({ status: "discarded" }).where(eq(schema.failures.id, f.id));
  });

  it("retry all shows the dry-run count first, then retries on confirm and audits who did it", async () => {
    const parked = await Promise.all([1, 2, 3].map((i) => h.park({ reason: "crm_timeout", jobId: `bulk-${i}` })));
    await until(async () => (await parkedCount()) === 3, "three parked failures");

    const dry = await h.get("/console/retry-all?reason=crm_timeout");
    expect(dry.status).toBe(200);
    const confirm = await dry.text();
    expect(confirm).toMatch(/data-testid="dry-run-count">3</);
    expect(confirm).toContain('action="/console/retry-all"');
    expect(confirm).toContain("Confirm: retry 3 failure(s)");
    // The dry run changed nothing.
    expect(await parkedCount()).toBe(3);
    expect(await h.audit()).toEqual([]);

    const run = await h.post("/console/retry-all", { reason: "crm_timeout", note: "HubSpot is back" });
    expect(run.status).toBe(303);
    const to = new URL(run.headers.get("location") ?? "", ORIGIN);
    expect(to.pathname).toBe("/console");
    expect(to.searchParams.get("flash")).toBe("Retrying 3 crm_timeout failure(s).");
    // Each went back to crm-sync (no crm worker runs here, so they wait there).
    await until(async () => (await h.registry.get("crm-sync").getJobCountByTypes("waiting")) === 3, "re-driven jobs");
    for (const f of parked) expect(await statusOf(f.id)).toBe("retrying");
    const [entry] = (await h.audit()).filter((a) => a.action === "failures.retry_all");
    expect(entry).toMatchObject({ actor: CREDS.user, target: "failed.crm_timeout", reason: "HubSpot is back" });
    expect(entry?.details).toEqual({ count: 3 });

    const flash = await (await h.get(`${to.pathname}${to.search}`)).text();
    expect(flash).toContain("Retrying 3 crm_timeout failure(s).");
  });

  it("refuses a cross-origin retry-all (403) before anything is retried or audited", async () => {
    const f = await h.park({ reason: "crm_timeout", jobId: "csrf-1" });
    await until(async () => (await parkedCount()) === 1, "the parked failure");
    const before = (await h.audit()).length;
    const attempts: Record<string, string>[] = [
      { origin: "https://evil.example", "sec-fetch-site": "cross-site" },
      { "sec-fetch-site": "same-site", origin: "http://other.admin.test" },
      { origin: "https://evil.example" },
      { origin: "null" },
      {},
    ];
    for (const headers of attempts) {
      const res = await h.post("/console/retry-all", { reason: "crm_timeout" }, headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(await res.text()).toMatch(/^Refused/);
    }
    expect(await parkedCount()).toBe(1);
    expect(await statusOf(f.id)).toBe("open");
    expect((await h.audit()).length).toBe(before);
    // The same form with only an Origin of this host (an older browser) is accepted.
    const ok = await h.post("/console/retry-all", { reason: "crm_timeout" }, { origin: ORIGIN });
    expect(ok.status).toBe(303);
  });

  it("answers an unknown reason with an HTML error page, and a bad POST with an error flash", async () => {
    const res = await h.get("/console/retry-all?reason=%3Cscript%3E");
    expect(res.status).toBe(400);
    const text = (await res.text()).replace(SCRIPT_TAG, "");
    expect(text).toContain("no failure reason &lt;script&gt;");
    expect(text).not.toContain("<script>");
    const post = await h.post("/console/retry-all", { reason: "nope" });
    expect(post.status).toBe(303);
    expect(new URL(post.headers.get("location") ?? "", ORIGIN).searchParams.get("error")).toBe(
      "no failure reason nope",
    );
    const missing = await h.get("/console/nowhere");
    expect(missing.status).toBe(404);
  });

  it("escapes a flash message", async () => {
    const page = (await (await h.get("/console?flash=%3Cscript%3Ealert(1)%3C%2Fscript%3E")).text()).replace(
      SCRIPT_TAG,
      "",
    );
    expect(page).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page).not.toContain("<script>alert(1)");
  });
});

describe("console overview with KPIs", () => {
  const kpis: KpiView[] = [
    {
      key: "p95",
      label: "Ingest p95 <b>latency</b>",
      value: 42.5,
      unit: "ms",
      threshold: 100,
      comparator: "<=",
      ok: true,
    },
    { key: "dup", label: "Duplicate contacts", value: 2, unit: "", threshold: 0, comparator: "<=", ok: false },
    { key: "new", label: "Time to first note", value: null, unit: "s", threshold: 60, comparator: "<=", ok: true },
  ];
  let h: AdminHarness;
  let fail = false;
  beforeAll(async () => {
    h = await createAdminHarness("console_kpis", {
      loadKpis: async () => {
        if (fail) throw new Error("metrics store down");
        return kpis;
      },
    });
  });
  afterAll(() => h?.close());

  it("renders each KPI with its value, target and whether it is met", async () => {
    const page = await (await h.get("/console")).text();
    expect(page).not.toContain("KPIs not configured");
    expect(page).toContain("Ingest p95 &lt;b&gt;latency&lt;/b&gt;");
    expect(page).toMatch(/data-kpi="p95">[\s\S]*?42\.50 ms[\s\S]*?&lt;= 100 ms[\s\S]*?ok/);
    expect(page).toMatch(/data-kpi="dup">[\s\S]*?breached/);
    expect(page).toMatch(/data-kpi="new">[\s\S]*?no data/);
  });

  it("still shows the overview when KPIs cannot be loaded", async () => {
    fail = true;
    const res = await h.get("/console");
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("KPIs unavailable");
    expect(h.logs.some((l) => l.includes("console could not load KPIs"))).toBe(true);
  });
});
