import { and, eq, type FailureRow, inArray, schema } from "@switchyard/db";
import { appEventRequest, FakeHubspot } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEYS, type System, startSystem, until } from "./testing/system.ts";

const ADMIN = { token: "sy_admin_retry_token_0123456789x", user: "ops", password: "retry races password 123" };

/** Double clicks on Retry and Retry all, through the admin API and the console, against HubSpot's fake. */
describe("retry under concurrent clicks", () => {
  let sys: System;
  let hubspot: FakeHubspot;

  beforeAll(async () => {
    hubspot = await FakeHubspot.start({ token: "pat-retry" });
    sys = await startSystem({
      label: "retry_races",
      admin: true,
      env: {
        HUBSPOT_ACCESS_TOKEN: "pat-retry",
        HUBSPOT_API_BASE: hubspot.url,
        PROVIDER_TIMEOUT_MS: "2000",
        RETRY_ATTEMPTS: "2",
        RETRY_BACKOFF_MS: "20",
        WORKER_CONCURRENCY: "25",
        ADMIN_TOKEN: ADMIN.token,
        ADMIN_USER: ADMIN.user,
        ADMIN_PASSWORD: ADMIN.password,
      },
    });
  });
  afterAll(async () => {
    await sys?.close();
    await hubspot?.close();
  });

  const db = () => sys.dbHandle.db;
  const api = (path: string, body: unknown = {}) =>
    fetch(`${sys.adminUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN.token}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  /** A console form as the operator's browser posts it: basic auth, same origin, no redirect followed. */
  const form = (path: string, fields: Record<string, string>) =>
    fetch(`${sys.adminUrl}${path}`, {
      method: "POST",
      redirect: "manual",
      headers: {
        authorization: `Basic ${Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString("base64")}`,
        "content-type": "application/x-www-form-urlencoded",
        origin: sys.adminUrl,
        "sec-fetch-site": "same-origin",
      },
      body: new URLSearchParams(fields).toString(),
    });
  const signup = (userId: string) =>
    sys.post(
      "/v1/events",
      appEventRequest({
        payload: { type: "user.signed_up", data: { userId, email: `${userId}@example.com` } },
        apiKey: KEYS.app,
      }),
    );
  /** Signs each user up while HubSpot answers 502, until each has an open, parked failure. */
  async function failed(userIds: string[]): Promise<FailureRow[]> {
    hubspot.fail({ status: 502 });
    const eventIds = await Promise.all(
      userIds.map(async (u) => ((await (await signup(u)).json()) as { eventId: string }).eventId),
    );
    const rows = await until(
      async () => {
        const open = await db()
          .select()
          .from(schema.failures)
          .where(and(inArray(schema.failures.eventId, eventIds), eq(schema.failures.status, "open")));
        return open.length === userIds.length && open;
      },
      `${userIds.length} open failures`,
      60_000,
    );
    await until(
      async () => (await sys.registry.failure("upstream_unavailable").getJobCountByTypes("failed")) >= rows.length,
      "the parked copies",
    );
    hubspot.heal();
    return rows;
  }
  const statusOf = async (id: string) =>
    (await db().select().from(schema.failures).where(eq(schema.failures.id, id)))[0];
  const writesOf = (userId: string) => hubspot.contacts.get(`${userId}@example.com`)?.writes;
  const retryAudits = async (id: string) =>
    (await db().select().from(schema.auditLog).where(eq(schema.auditLog.target, id))).filter(
      (a) => a.action === "failure.retry",
    );
  const tally = (statuses: number[]) =>
    statuses.reduce<Record<number, number>>((t, s) => Object.assign(t, { [s]: (t[s] ?? 0) + 1 }), {});

  it("100 concurrent API retries of one failure: one re-drive, 200 once and 409 for the rest, contact written once", async () => {
    const [f] = await failed(["u-api-clicks"]);
    if (!f) throw new Error("no failure");
    const before = hubspot.upserts().length;
    const answers = await Promise.all(Array.from({ length: 100 }, () => api(`/api/failures/${f.id}/retry`)));
    const bodies = await Promise.all(answers.map((r) => r.json() as Promise<Record<string, unknown>>));
    const counts = tally(answers.map((r) => r.status));
    expect(counts).toEqual({ 200: 1, 409: 99 });
    const refused = bodies.filter((_, i) => answers[i]?.status === 409);
    for (const body of refused)
      expect(body).toEqual({
        error: { code: "conflict", message: expect.stringMatching(/^failure is /), requestId: expect.any(String) },
      });
    await until(async () => (await statusOf(f.id))?.status === "resolved", "the failure to resolve");
    await sys.waitForIdle();
    expect(await statusOf(f.id)).toMatchObject({ status: "resolved", resolvedAt: expect.any(Date) });
    expect(hubspot.upserts().length - before).toBe(1);
    expect(writesOf("u-api-clicks")).toBe(1);
    expect(await retryAudits(f.id)).toHaveLength(1);
  });

  it("100 concurrent console Retry clicks: one re-drive, one 'retried' flash and 99 conflicts, no 5xx", async () => {
    const [f] = await failed(["u-console-clicks"]);
    if (!f) throw new Error("no failure");
    const before = hubspot.upserts().length;
    const back = "/console/failures";
    const answers = await Promise.all(
      Array.from({ length: 100 }, () =>
        form(`/console/failures/${f.id}/retry`, { back, attempt: String(f.occurrences) }),
      ),
    );
    expect(answers.every((r) => r.status === 303)).toBe(true);
    const to = answers.map((r) => new URL(r.headers.get("location") ?? "", sys.adminUrl).searchParams);
    const flashes = to.map((p) => p.get("flash")).filter(Boolean);
    const errors = to.map((p) => p.get("error")).filter(Boolean);
    expect(flashes).toEqual([`Retry of ${f.id}: retried.`]);
    expect(errors).toHaveLength(99);
    expect(errors.every((e) => e === "failure is already being retried" || e === "failure is resolved")).toBe(true);
    await until(async () => (await statusOf(f.id))?.status === "resolved", "the failure to resolve");
    await sys.waitForIdle();
    expect(hubspot.upserts().length - before).toBe(1);
    expect(writesOf("u-console-clicks")).toBe(1);
    expect(await retryAudits(f.id)).toHaveLength(1);
  });

  it("two clicks 20 ms apart on each of 4 failures: all 4 end resolved, none retrying, each contact written once", async () => {
    const users = [0, 1, 2, 3].map((i) => `u-twice-${i}`);
    const rows = await failed(users);
    const statuses = await Promise.all(
      rows.map(async (f) => {
        const first = api(`/api/failures/${f.id}/retry`);
        await new Promise((r) => setTimeout(r, 20));
        return [(await first).status, (await api(`/api/failures/${f.id}/retry`)).status];
      }),
    );
    expect(statuses.flat().every((s) => s === 200 || s === 409)).toBe(true);
    expect(statuses.flat().filter((s) => s === 200)).toHaveLength(4);
    await sys.waitForIdle();
    for (const f of rows) {
      await until(async () => (await statusOf(f.id))?.status === "resolved", `failure ${f.id} to resolve`);
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const f of rows)
      expect(await statusOf(f.id)).toMatchObject({ status: "resolved", resolvedAt: expect.any(Date) });
    for (const u of users) expect(writesOf(u)).toBe(1);
  });

  it("Bull Board's Retry and Retry all on the parked copy, beside 50 API clicks: still one re-drive", async () => {
    const [f] = await failed(["u-board-clicks"]);
    if (!f) throw new Error("no failure");
    const before = hubspot.upserts().length;
    const board = (path: string) =>
      fetch(`${sys.adminUrl}/queues/api/queues/${path}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${ADMIN.token}` },
      });
    const answers = await Promise.all([
      board(`failed.upstream_unavailable/${f.id}-${f.occurrences}/retry`),
      board("failed.upstream_unavailable/retry/failed"),
      ...Array.from({ length: 50 }, () => api(`/api/failures/${f.id}/retry`)),
    ]);
    const ours = tally(answers.slice(2).map((r) => r.status));
    // Bull Board's own answers are its business: its Retry all lists the failed copies, then
    // retries each, and answers 500 when one has moved on meanwhile (the single Retry beside it).
    expect(Object.keys(ours).every((s) => s === "200" || s === "409")).toBe(true);
    expect(ours[200] ?? 0).toBeLessThanOrEqual(1);
    await until(async () => (await statusOf(f.id))?.status === "resolved", "the failure to resolve");
    await sys.waitForIdle();
    expect(hubspot.upserts().length - before).toBe(1);
    expect(writesOf("u-board-clicks")).toBe(1);
  });

  it("Retry all clicked twice at once, from the API and then the console: each of 100 failures re-driven once", async () => {
    for (const via of ["api", "console"] as const) {
      const users = Array.from({ length: 100 }, (_, i) => `u-all-${via}-${i}`);
      const rows = await failed(users);
      const before = hubspot.upserts().length;
      let retried: number[];
      if (via === "api") {
        const answers = await Promise.all(
          [0, 1].map(() => api("/api/failures/retry-all", { reason: "upstream_unavailable", dryRun: false })),
        );
        expect(answers.map((r) => r.status)).toEqual([200, 200]);
        retried = await Promise.all(answers.map(async (r) => ((await r.json()) as { retried: number }).retried));
      } else {
        const answers = await Promise.all(
          [0, 1].map(() => form("/console/retry-all", { reason: "upstream_unavailable" })),
        );
        expect(answers.map((r) => r.status)).toEqual([303, 303]);
        retried = answers.map((r) => {
          const flash = new URL(r.headers.get("location") ?? "", sys.adminUrl).searchParams.get("flash") ?? "";
          return Number(/^Retrying (\d+) upstream_unavailable failure\(s\)\.$/.exec(flash)?.[1]);
        });
      }
      expect(retried.reduce((a, b) => a + b, 0)).toBe(100);
      await until(
        async () => {
          const done = await db()
            .select()
            .from(schema.failures)
            .where(
              and(
                inArray(
                  schema.failures.id,
                  rows.map((f) => f.id),
                ),
                eq(schema.failures.status, "resolved"),
              ),
            );
          return done.length === 100;
        },
        "all 100 to resolve",
        60_000,
      );
      await sys.waitForIdle();
      expect(hubspot.upserts().length - before).toBe(100);
      expect(users.every((u) => writesOf(u) === 1)).toBe(true);
    }
  });
});
