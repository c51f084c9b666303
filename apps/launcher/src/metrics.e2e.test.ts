import { secretValues } from "@switchyard/config";
import { WORK_QUEUES } from "@switchyard/events";
import { METRIC_FAMILIES, missingFamilies, parseExposition, sumOf } from "@switchyard/metrics";
import { appEventRequest, checkoutCompleted, FakeHubspot, FakeOpenAI, signStripe } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEYS, type System, startSystem, until } from "./testing/system.ts";

const ADMIN_TOKEN = "sy_admin_metrics_token_0123456789abcdef";
const OPENAI_KEY = "sk-metrics-openai-key-0123456789";
const HUBSPOT_TOKEN = "pat-metrics-wrong-token-0123456789";

describe("admin /metrics after real traffic", () => {
  let sys: System;
  let openai: FakeOpenAI;
  let hubspot: FakeHubspot;

  beforeAll(async () => {
    openai = await FakeOpenAI.start({ apiKey: OPENAI_KEY });
    // HubSpot refuses this token: every CRM write fails for good as auth_failed.
    hubspot = await FakeHubspot.start({ token: "pat-the-right-one" });
    sys = await startSystem({
      label: "metrics",
      admin: true,
      env: {
        ADMIN_TOKEN,
        OPENAI_API_KEY: OPENAI_KEY,
        OPENAI_BASE_URL: `${openai.url}/v1`,
        OPENAI_TIMEOUT_MS: "1000",
        HUBSPOT_ACCESS_TOKEN: HUBSPOT_TOKEN,
        HUBSPOT_API_BASE: hubspot.url,
      },
    });
  });
  afterAll(async () => {
    await sys.close();
    await openai.close();
    await hubspot.close();
  });

  /** waitForIdle would wait forever on the signup whose CRM write fails: wait for empty queues. */
  const drained = async () => {
    const busy = async () => {
      const counts = await Promise.all(
        WORK_QUEUES.map((q) => sys.registry.get(q).getJobCounts("waiting", "active", "delayed", "prioritized")),
      );
      return counts.flatMap((c) => Object.values(c)).some((n) => n > 0);
    };
    await until(async () => !(await busy()) && !(await busy()), "work queues drained");
  };

  const support = (message: string) =>
    sys.post(
      "/v1/events",
      appEventRequest({
        payload: { type: "support.requested", data: { userId: "u-metrics", subject: "Help", message } },
        apiKey: KEYS.app,
      }),
    );

  it("counts accepted, duplicate and rejected requests, jobs, failures, latency and OpenAI use", async () => {
    const checkouts = [1, 2, 3].map((i) =>
      signStripe({
        payload: checkoutCompleted({ customer: `cus_metrics_${i}`, email: `m${i}@example.com` }),
        secret: KEYS.stripe,
      }),
    );
    for (const signed of checkouts) expect((await sys.post("/webhooks/stripe", signed)).status).toBe(202);
    const [first] = checkouts;
    if (!first) throw new Error("no checkout");
    expect((await sys.post("/webhooks/stripe", first)).status).toBe(200);
    const forged = signStripe({ payload: checkoutCompleted({ customer: "cus_forged" }), secret: "whsec_not_ours" });
    expect((await sys.post("/webhooks/stripe", forged)).status).toBe(401);
    const malformed = appEventRequest({ payload: { type: "user.signed_up", data: {} }, apiKey: KEYS.app });
    expect((await sys.post("/v1/events", malformed)).status).toBe(400);
    const signup = appEventRequest({
      payload: { type: "user.signed_up", data: { userId: "u-metrics", email: "metrics@example.com" } },
      apiKey: KEYS.app,
    });
    expect((await sys.post("/v1/events", signup)).status).toBe(202);
    expect((await support("How do I invite a teammate?")).status).toBe(202);
    await drained();
    // The model is down for the next ticket: the rules answer, degraded.
    openai.fail({ status: 500 });
    expect((await support("Where do I find my invoices?")).status).toBe(202);
    await drained();
    openai.heal();

    const unauthenticated = await fetch(`${sys.adminUrl}/metrics`);
    expect(unauthenticated.status).toBe(401);
    const res = await fetch(`${sys.adminUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    // Strict parse: every line is a comment or `name{labels} value`.
    const scraped = parseExposition(text);
    expect(missingFamilies(scraped.types)).toEqual([]);
    for (const family of Object.keys(METRIC_FAMILIES)) expect(scraped.help.get(family), family).toBeTruthy();
    for (const secret of secretValues(sys.config)) expect(text).not.toContain(secret);

    const m = (name: string, labels: Record<string, string> = {}) => sumOf(scraped, name, labels);
    expect(m("switchyard_webhooks_received_total", { source: "stripe" })).toBe(5);
    expect(m("switchyard_webhooks_received_total", { source: "app" })).toBe(4);
    expect(m("switchyard_webhooks_accepted_total", { source: "stripe" })).toBe(3);
    expect(m("switchyard_webhooks_accepted_total", { source: "app" })).toBe(3);
    expect(m("switchyard_webhooks_duplicate_total", { source: "stripe" })).toBe(1);
    expect(m("switchyard_webhooks_rejected_total", { source: "stripe", reason: "auth_failed" })).toBe(1);
    expect(m("switchyard_webhooks_rejected_total", { source: "app", reason: "invalid_payload" })).toBe(1);
    expect(m("switchyard_webhooks_rejected_total")).toBe(2);
    expect(m("switchyard_ingest_request_duration_seconds_count")).toBe(9);
    expect(m("switchyard_ingest_request_duration_seconds_count", { source: "stripe", status: "401" })).toBe(1);

    expect(m("switchyard_queue_jobs", { queue: "billing-sync", state: "completed" })).toBe(3);
    expect(m("switchyard_queue_jobs", { queue: "ai-triage", state: "completed" })).toBe(2);
    expect(m("switchyard_queue_jobs", { queue: "failed.auth_failed", state: "failed" })).toBeGreaterThanOrEqual(1);
    expect(m("switchyard_job_duration_seconds_count", { queue: "billing-sync", outcome: "completed" })).toBe(3);
    expect(m("switchyard_job_duration_seconds_count", { queue: "crm-sync", outcome: "failed" })).toBeGreaterThanOrEqual(
      1,
    );
    expect(m("switchyard_job_failures_total", { queue: "crm-sync", reason: "auth_failed" })).toBeGreaterThanOrEqual(1);
    expect(m("switchyard_failures", { reason: "auth_failed", status: "open" })).toBe(
      m("switchyard_job_failures_total", { reason: "auth_failed" }),
    );
    // Three checkouts and two tickets were settled processed; the signup's CRM write failed.
    expect(m("switchyard_event_latency_seconds_count", { source: "stripe" })).toBe(3);
    expect(m("switchyard_event_latency_seconds_count", { source: "app" })).toBe(2);
    const latencySum = m("switchyard_event_latency_seconds_sum");
    expect(latencySum).toBeGreaterThan(0);
    expect(latencySum).toBeLessThan(60);

    expect(m("switchyard_openai_requests_total", { outcome: "ok" })).toBe(1);
    expect(m("switchyard_openai_requests_total", { outcome: "error" })).toBeGreaterThanOrEqual(1);
    expect(m("switchyard_openai_errors_total", { reason: "upstream_unavailable" })).toBeGreaterThanOrEqual(1);
    expect(m("switchyard_openai_degraded_total", { reason: "upstream_unavailable" })).toBe(1);
    expect(m("switchyard_openai_tokens_total", { kind: "prompt" })).toBeGreaterThan(0);
    expect(m("switchyard_openai_tokens_total", { kind: "completion" })).toBeGreaterThan(0);
    expect(m("switchyard_metrics_processes")).toBeGreaterThanOrEqual(1);
  });

  it("answers 401 with the admin error shape for a wrong token", async () => {
    const res = await fetch(`${sys.adminUrl}/metrics`, { headers: { authorization: "Bearer nope" } });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "unauthorized" } });
  });
});
