import { and, count, eq, type FailureStatus, like, schema } from "@switchyard/db";
import type { ReasonCode } from "@switchyard/events";
import { appEventRequest, FakeHubspot, FakeServer } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEYS, type System, startSystem, until } from "./testing/system.ts";

const ADMIN = { token: "sy_admin_test_token_0123456789abcdef", user: "ops", password: "correct horse battery staple" };

describe("failure queues, re-drive and alerts", () => {
  let sys: System;
  let hubspot: FakeHubspot;
  let alerts: FakeServer;

  beforeAll(async () => {
    hubspot = await FakeHubspot.start({ token: "pat-e2e" });
    alerts = await new FakeServer((req) =>
      req.path === "/hook" ? () => ({ status: 200, body: { ok: true } }) : undefined,
    ).start();
    sys = await startSystem({
      label: "failures",
      admin: true,
      env: {
        HUBSPOT_ACCESS_TOKEN: "pat-e2e",
        HUBSPOT_API_BASE: hubspot.url,
        // Long enough that a healthy answer on a loaded machine is not taken for a hang (and retried).
        PROVIDER_TIMEOUT_MS: "400",
        RETRY_ATTEMPTS: "2",
        RETRY_BACKOFF_MS: "20",
        WORKER_CONCURRENCY: "25",
        ADMIN_TOKEN: ADMIN.token,
        ADMIN_USER: ADMIN.user,
        ADMIN_PASSWORD: ADMIN.password,
        ALERT_WEBHOOK_URL: `${alerts.url}/hook`,
      },
    });
  });
  afterAll(async () => {
    await sys.close();
    await hubspot.close();
    await alerts.close();
  });

  const db = () => sys.dbHandle.db;
  const auth = { authorization: `Bearer ${ADMIN.token}` };
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${sys.adminUrl}${path}`, {
      ...init,
      headers: { ...auth, "content-type": "application/json", ...init.headers },
    });
  const signup = (userId: string) =>
    sys.post(
      "/v1/events",
      appEventRequest({
        payload: { type: "user.signed_up", data: { userId, email: `${userId}@example.com` } },
        apiKey: KEYS.app,
      }),
    );
  const failuresOf = (reason: ReasonCode, status: FailureStatus = "open") =>
    db()
      .select()
      .from(schema.failures)
      .where(and(eq(schema.failures.reason, reason), eq(schema.failures.status, status)));
  const alertTexts = () =>
    alerts.received.filter((r) => r.path === "/hook").map((r) => (r.body as { text: string }).text);

  it("answers 401 to every admin route, Bull Board's page and API included, without credentials", async () => {
    for (const path of ["/queues", "/queues/api/queues", "/api/failures", "/api/audit"]) {
      const res = await fetch(`${sys.adminUrl}${path}`);
      expect(res.status, path).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    }
    const wrong = await fetch(`${sys.adminUrl}/api/failures`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const basic = Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString("base64");
    expect((await fetch(`${sys.adminUrl}/api/failures`, { headers: { authorization: `Basic ${basic}` } })).status).toBe(
      200,
    );
  });

  it("a CRM that times out lands the job, after its retries, in failed.crm_timeout; Bull Board lists it", async () => {
    hubspot.fail({ hang: true });
    const firstFailureAt = Date.now();
    const res = await signup("u-timeout");
    const { eventId } = (await res.json()) as { eventId: string };
    const [failure] = await until(async () => {
      const rows = await failuresOf("crm_timeout");
      return rows.length > 0 && rows;
    }, "the failure to be recorded");
    expect(failure).toMatchObject({
      queue: "crm-sync",
      jobName: "app.user.signed_up",
      eventId,
      attempts: 2,
      status: "open",
    });
    expect(failure?.lastError).toMatch(/^crm_timeout: HubSpot did not answer within 400 ms/);
    expect(hubspot.upserts().length).toBe(2);
    const eventRow = async () => (await db().select().from(schema.events).where(eq(schema.events.id, eventId)))[0];
    // The event says what became of it: failed, with the reason, not left `received`. (Settled
    // just after the failure row is written, so it is waited for.)
    await until(async () => (await eventRow())?.status !== "received", "the event to settle");
    expect(await eventRow()).toMatchObject({ status: "failed", reason: "crm_timeout" });

    const parked = await until(async () => {
      const jobs = await sys.registry.failure("crm_timeout").getFailed();
      return jobs.length > 0 && jobs;
    }, "the parked job to fail into Bull Board's failed list");
    expect(parked[0]?.data).toMatchObject({ originQueue: "crm-sync", failureId: failure?.id, reason: "crm_timeout" });

    const board = await admin("/queues/api/queues?activeQueue=failed.crm_timeout&status=failed&page=1");
    expect(board.status).toBe(200);
    const { queues } = (await board.json()) as {
      queues: { name: string; jobs: { id: string; failedReason: string }[] }[];
    };
    const listed = queues.find((q) => q.name === "failed.crm_timeout");
    expect(listed?.jobs.map((j) => j.id)).toContain(`${failure?.id}-1`);
    expect(queues.map((q) => q.name)).toEqual(
      expect.arrayContaining(["crm-sync", "billing-sync", "failed.rate_limited"]),
    );

    // The alert arrived within the minute, and said what failed.
    const [alert] = await until(
      async () => alertTexts().filter((t) => t.includes("crm_timeout")).length > 0 && alertTexts(),
      "the alert",
    );
    expect(alert).toContain("crm-sync");
    expect(Date.now() - firstFailureAt).toBeLessThan(60_000);

    // Retry through the admin API with the CRM healthy: written once, failure resolved.
    hubspot.heal();
    const retry = await admin(`/api/failures/${failure?.id}/retry`, { method: "POST", body: "{}" });
    expect(retry.status).toBe(200);
    await until(async () => (await failuresOf("crm_timeout", "resolved")).length === 1, "the failure to resolve");
    expect(hubspot.contacts.get("u-timeout@example.com")?.writes).toBe(1);
    expect(await eventRow()).toMatchObject({ status: "processed", reason: null });
  });

  it("retry all for a reason holding 100 failures resolves all 100 with no duplicate contacts", async () => {
    hubspot.fail({ hang: true });
    await Promise.all(Array.from({ length: 100 }, (_, i) => signup(`u-bulk-${i}`)));
    await until(async () => (await failuresOf("crm_timeout")).length === 100, "100 open failures", 60_000);
    await until(
      async () => (await sys.registry.failure("crm_timeout").getJobCountByTypes("failed")) === 100,
      "100 parked failures",
      30_000,
    );
    hubspot.heal();

    const dry = await admin("/api/failures/retry-all", {
      method: "POST",
      body: JSON.stringify({ reason: "crm_timeout" }),
    });
    expect(await dry.json()).toEqual({ reason: "crm_timeout", dryRun: true, count: 100 });
    expect((await failuresOf("crm_timeout", "resolved")).length).toBe(1);

    const run = await admin("/api/failures/retry-all", {
      method: "POST",
      body: JSON.stringify({ reason: "crm_timeout", dryRun: false, note: "HubSpot recovered" }),
    });
    expect(await run.json()).toMatchObject({ retried: 100 });
    await until(async () => (await failuresOf("crm_timeout", "resolved")).length === 101, "all 100 to resolve", 60_000);
    const bulk = [...hubspot.contacts.entries()].filter(([email]) => email.startsWith("u-bulk-"));
    expect(bulk).toHaveLength(100);
    expect(bulk.every(([, c]) => c.writes === 1)).toBe(true);
    const [contacts] = await db().select({ n: count() }).from(schema.customers);
    expect(contacts?.n).toBe(101);
  });

  it("a burst of 50 failures of one reason sends one alert", async () => {
    hubspot.fail({ status: 401 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => signup(`u-auth-${i}`)));
    await until(async () => (await failuresOf("auth_failed")).length === 50, "50 auth failures", 30_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(alertTexts().filter((t) => t.includes("auth_failed"))).toHaveLength(1);
    // A revoked key needs a person: each such failure opened one ticket in the support desk.
    await until(async () => {
      const [row] = await db()
        .select({ n: count() })
        .from(schema.supportTickets)
        .where(like(schema.supportTickets.externalId, "failure-%"));
      return row?.n === 50;
    }, "a ticket per auth_failed failure");
    const notes = await db()
      .select({ body: schema.supportNotes.body })
      .from(schema.supportNotes)
      .innerJoin(schema.supportTickets, eq(schema.supportNotes.ticketId, schema.supportTickets.id))
      .where(like(schema.supportTickets.externalId, "failure-%"));
    expect(notes).toHaveLength(50);
    expect(notes[0]?.body).toMatch(/^auth_failed: HubSpot rejected the credentials/);
    hubspot.heal();
  });

  it("every admin action lands in the audit log with who, what and why", async () => {
    const [failure] = await failuresOf("auth_failed");
    const discard = await admin(`/api/failures/${failure?.id}/discard`, {
      method: "POST",
      body: JSON.stringify({ note: "test account" }),
    });
    expect(discard.status).toBe(200);
    const noNote = await admin(`/api/failures/${failure?.id}/discard`, { method: "POST", body: "{}" });
    expect(noNote.status).toBe(400);

    const [customer] = await db().select().from(schema.customers).where(eq(schema.customers.externalId, "u-timeout"));
    const override = await admin(`/api/customers/${customer?.id}/override`, {
      method: "POST",
      body: JSON.stringify({ status: "entitled", reason: "goodwill while billing is fixed" }),
    });
    expect(override.status).toBe(200);
    expect(((await override.json()) as { customer: { entitled: boolean } }).customer.entitled).toBe(true);

    const replay = await admin(`/api/events/${failure?.eventId}/replay`, {
      method: "POST",
      body: JSON.stringify({ reason: "check ledger" }),
    });
    expect(replay.status).toBe(200);

    const timeline = await admin(`/api/customers/u-timeout@example.com/timeline`);
    const story = (await timeline.json()) as { entries: { kind: string }[] };
    expect(story.entries.map((e) => e.kind)).toContain("override");

    const { entries } = (await (await admin("/api/audit")).json()) as {
      entries: { actor: string; action: string; reason: string | null }[];
    };
    const actions = entries.map((e) => e.action);
    for (const action of [
      "failure.retry",
      "failures.retry_all",
      "failure.discard",
      "customer.override",
      "event.replay",
    ]) {
      expect(actions).toContain(action);
    }
    expect(entries.find((e) => e.action === "failure.discard")).toMatchObject({
      actor: "ADMIN_TOKEN",
      reason: "test account",
    });
  });

  it("searches failures by reason, customer, event and text", async () => {
    const byReason = (await (await admin("/api/failures?reason=auth_failed")).json()) as {
      failures: { eventId: string }[];
    };
    expect(byReason.failures.length).toBe(50);
    const one = byReason.failures[0];
    const byEvent = (await (await admin(`/api/failures?eventId=${one?.eventId}`)).json()) as { failures: unknown[] };
    expect(byEvent.failures).toHaveLength(1);
    const byCustomer = (await (await admin("/api/failures?customer=u-auth-7@example.com")).json()) as {
      failures: unknown[];
    };
    expect(byCustomer.failures).toHaveLength(1);
    const byText = (await (await admin("/api/failures?q=rejected%20the%20credentials")).json()) as {
      failures: unknown[];
    };
    expect(byText.failures.length).toBe(50);
  });
});
