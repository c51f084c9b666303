import { and, eq, schema } from "@switchyard/db";
import { REASON_CODES, WORK_QUEUES } from "@switchyard/events";
import {
  appEventRequest,
  checkoutCompleted,
  FakeHubspot,
  FakeOpenAI,
  FakeServer,
  FakeStripe,
  FakeZendesk,
  hubspotContactCreated,
  type Signed,
  signHubspot,
  signStandardWebhook,
  signStripe,
  signZendesk,
  zendeskTicketCreated,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { b64, everythingStored, type Haystack, leaksIn, S, secretsToFind } from "./testing/secrets.ts";
import { customerByEmail, KEYS, type System, startSystem, until } from "./testing/system.ts";

/**
 * The whole system on known secret values (testing/secrets.ts), traffic through every path that
 * handles them, then a search of everything it logged, answered and stored.
 */
const T0 = Math.floor(Date.now() / 1000) - 3_600;

describe("secrets never leak: logs, responses, failures, audit, alerts, rows and jobs", () => {
  let sys: System;
  let hubspot: FakeHubspot;
  let openai: FakeOpenAI;
  let stripe: FakeStripe;
  let zendesk: FakeZendesk;
  let alerts: FakeServer;
  const logs: string[] = [];
  /** Every HTTP answer seen, as "where: status headers body". */
  const responses: { where: string; head: string; body: string }[] = [];
  /** Leaks through the known bug (unredacted BullMQ failedReason / stacktrace), set by the search. */

  beforeAll(async () => {
    hubspot = await FakeHubspot.start({ token: S.hubspotToken });
    openai = await FakeOpenAI.start({ apiKey: S.openaiKey });
    stripe = await FakeStripe.start({ secretKey: S.stripeKey });
    zendesk = await FakeZendesk.start({ email: S.zendeskEmail, apiToken: S.zendeskToken });
    alerts = await new FakeServer((req) =>
      req.path === S.alertPath ? () => ({ status: 200, body: { ok: true } }) : undefined,
    ).start();
    sys = await startSystem({
      label: "secrets",
      admin: true,
      logs,
      env: {
        // Every job's own line too, so that the check reads them.
        LOG_JOBS: "true",
        APP_API_KEYS: S.app,
        ADMIN_TOKEN: S.adminToken,
        ADMIN_USER: S.adminUser,
        ADMIN_PASSWORD: S.adminPassword,
        HUBSPOT_ACCESS_TOKEN: S.hubspotToken,
        HUBSPOT_API_BASE: hubspot.url,
        HUBSPOT_CLIENT_SECRET: S.hubspotClientSecret,
        INGEST_PUBLIC_URL: "http://ingest.test",
        OPENAI_API_KEY: S.openaiKey,
        OPENAI_BASE_URL: `${openai.url}/v1`,
        OPENAI_TIMEOUT_MS: "1000",
        STRIPE_SECRET_KEY: S.stripeKey,
        STRIPE_API_BASE: stripe.url,
        ZENDESK_API_BASE: zendesk.url,
        ZENDESK_EMAIL: S.zendeskEmail,
        ZENDESK_API_TOKEN: S.zendeskToken,
        WEBHOOK_SECRET_ACME: S.generic,
        ALERT_WEBHOOK_URL: `${alerts.url}${S.alertPath}`,
        PROVIDER_TIMEOUT_MS: "500",
        RETRY_ATTEMPTS: "2",
        RETRY_BACKOFF_MS: "20",
      },
    });
  });
  afterAll(async () => {
    await sys?.close();
    await Promise.all([hubspot, openai, stripe, zendesk, alerts].map((f) => f?.close()));
  });

  async function record(where: string, res: Response): Promise<{ status: number; text: string; json: unknown }> {
    const text = await res.text();
    const headers = [...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join("\n");
    responses.push({ where, head: `${res.status}\n${headers}`, body: text });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, text, json };
  }
  const ingest = async (path: string, signed: Signed) => record(`ingest POST ${path}`, await sys.post(path, signed));
  const admin = async (path: string, authorization: string | undefined, init: RequestInit = {}) =>
    record(
      `admin ${init.method ?? "GET"} ${path} (${authorization?.split(" ")[0] ?? "no auth"})`,
      await fetch(`${sys.adminUrl}${path}`, {
        ...init,
        headers: {
          "content-type": "application/json",
          ...(authorization ? { authorization } : {}),
          ...(init.headers as Record<string, string> | undefined),
        },
      }),
    );
  const bearer = `Bearer ${S.adminToken}`;
  const basic = `Basic ${b64(`${S.adminUser}:${S.adminPassword}`)}`;
  const idOf = (res: { json: unknown }) => (res.json as { eventId: string }).eventId;
  /** The failure a queue recorded for one event, once it is there. */
  const failureOf = (eventId: string, queue: string) =>
    until(async () => {
      const [row] = await sys.dbHandle.db
        .select()
        .from(schema.failures)
        .where(and(eq(schema.failures.eventId, eventId), eq(schema.failures.queue, queue)));
      return row;
    }, `a ${queue} failure for event ${eventId}`);
  const triageOf = (eventId: string) =>
    until(async () => {
      const [row] = await sys.dbHandle.db
        .select()
        .from(schema.triageResults)
        .where(eq(schema.triageResults.eventId, eventId));
      return row;
    }, `the triage of event ${eventId}`);
  /** No work queue holds a job still to run. */
  const drained = () =>
    until(async () => {
      for (const q of WORK_QUEUES) {
        const counts = await sys.registry.get(q).getJobCounts("waiting", "active", "delayed", "prioritized");
        if (Object.values(counts).some((n) => n > 0)) return false;
      }
      return true;
    }, "the work queues to drain");
  const app = (payload: object, apiKey = S.app, headers: Record<string, string> = {}) => {
    const req = appEventRequest({ payload, apiKey });
    return ingest("/v1/events", { ...req, headers: { ...req.headers, ...headers } });
  };
  const signup = (userId: string) => app({ type: "user.signed_up", data: { userId, email: `${userId}@example.com` } });
  const support = (userId: string, message: string) =>
    app({ type: "support.requested", data: { userId, subject: "Help", message } });

  it("drives the secret paths: signatures, bearer keys, provider faults, alerts and admin", async () => {
    // --- Ingest: valid and invalid signatures, right and wrong keys
    stripe.setSubscription({ id: "sub_s", customer: "cus_s", status: "active", plan: "pro" });
    const checkout = checkoutCompleted({
      customer: "cus_s",
      subscription: "sub_s",
      userId: "u-s",
      email: "u-s@example.com",
      created: T0,
    });
    expect((await ingest("/webhooks/stripe", signStripe({ payload: checkout, secret: KEYS.stripe }))).status).toBe(202);
    const stripeBad = signStripe({ payload: checkout, secret: "whsec_wrong" });
    expect((await ingest("/webhooks/stripe", stripeBad)).status).toBe(401);
    // The secret itself offered as a signature: refused, and never echoed.
    const offered = { ...stripeBad, headers: { ...stripeBad.headers, "stripe-signature": `t=1,v1=${KEYS.stripe}` } };
    expect((await ingest("/webhooks/stripe", offered)).status).toBe(401);

    const uri = "http://ingest.test/webhooks/hubspot";
    const contact = [hubspotContactCreated({ eventId: 5150 })];
    expect(
      (await ingest("/webhooks/hubspot", signHubspot({ payload: contact, secret: S.hubspotClientSecret, uri }))).status,
    ).toBe(202);
    expect((await ingest("/webhooks/hubspot", signHubspot({ payload: contact, secret: "nope", uri }))).status).toBe(
      401,
    );

    zendesk.addTicket({ id: 777, subject: "Where is my invoice?", requesterEmail: "u-s@example.com" });
    const ticket = zendeskTicketCreated({ ticketId: "777", requesterEmail: "u-s@example.com" });
    expect((await ingest("/webhooks/zendesk", signZendesk({ payload: ticket, secret: KEYS.zendesk }))).status).toBe(
      202,
    );
    expect((await ingest("/webhooks/zendesk", signZendesk({ payload: ticket, secret: "other" }))).status).toBe(401);

    const acme = { type: "invoice.created", data: { n: 1 } };
    expect((await ingest("/webhooks/acme", signStandardWebhook({ payload: acme, secret: S.generic }))).status).toBe(
      202,
    );
    const acmeWrong = signStandardWebhook({ payload: acme, secret: `whsec_${b64("another-key-of-24-bytes-or-more")}` });
    expect((await ingest("/webhooks/acme", acmeWrong)).status).toBe(401);

    expect((await signup("u-ok")).status).toBe(202);
    const signupBody = { type: "user.signed_up", data: { userId: "u-x", email: "u-x@example.com" } };
    for (const key of ["sy_wrong", `${S.app}x`, S.adminToken, S.openaiKey]) {
      expect((await app(signupBody, key)).status).toBe(401);
    }
    expect((await app(signupBody, S.app, { authorization: basic })).status).toBe(401);
    expect((await app(signupBody, S.app, { authorization: `bearer ${S.app}`, "idempotency-key": "" })).status).toBe(
      400,
    );
    expect((await app({ type: "user.teleported", data: { userId: "u" } })).status).toBe(400);
    expect((await ingest("/webhooks/paypal", { body: "{}", headers: { authorization: bearer } })).status).toBe(404);
    await drained();

    // --- Provider faults: HubSpot 401, HubSpot echoing its token, OpenAI 401 (twice), Stripe 401
    hubspot.fail({ status: 401 });
    const hubspot401 = await failureOf(idOf(await signup("u-401")), "crm-sync");
    expect(hubspot401.reason).toBe("auth_failed");
    expect(hubspot401.lastError).toMatch(/^auth_failed: HubSpot rejected the credentials \(401\)/);
    hubspot.heal();

    // A provider error that quotes the credential back (some do): still redacted everywhere.
    hubspot.fail({
      status: 207,
      body: {
        status: "COMPLETE",
        results: [],
        errors: [{ category: "VALIDATION_ERROR", message: `token ${S.hubspotToken} may not write contacts` }],
      },
    });
    const echoed = await failureOf(idOf(await signup("u-echo")), "crm-sync");
    expect(echoed.lastError).toContain("[redacted]");
    hubspot.heal();

    openai.apiKey = "sk-rotated-elsewhere-0000";
    const ai1 = await triageOf(idOf(await support("u-ai-1", "How do I export my data?")));
    openai.apiKey = S.openaiKey;
    openai.fail({
      status: 401,
      body: {
        error: {
          message: `Incorrect API key provided: ${S.openaiKey}.`,
          type: "invalid_request_error",
          code: "invalid_api_key",
        },
      },
    });
    const ai2 = await triageOf(idOf(await support("u-ai-2", "Please help with my invoice.")));
    openai.heal();
    for (const triage of [ai1, ai2]) expect(triage).toMatchObject({ degraded: true, degradedReason: "auth_failed" });

    stripe.fail({
      status: 401,
      body: { error: { type: "invalid_request_error", message: `Invalid API Key provided: ${S.stripeKey}` } },
    });
    stripe.setSubscription({ id: "sub_t", customer: "cus_t", status: "active", plan: "pro" });
    const stripeEventId = idOf(
      await ingest(
        "/webhooks/stripe",
        signStripe({
          payload: checkoutCompleted({ customer: "cus_t", subscription: "sub_t", userId: "u-t", created: T0 + 5 }),
          secret: KEYS.stripe,
        }),
      ),
    );
    expect((await failureOf(stripeEventId, "billing-sync")).reason).toBe("auth_failed");
    stripe.heal();
    await until(async () => alerts.received.length >= 2, "the alerts");

    // --- Admin: wrong and right credentials, bearer and basic, reads and actions
    const wrong = [
      undefined,
      "Bearer nope",
      `Bearer ${S.adminToken}x`,
      `Bearer ${S.app}`,
      `Basic ${b64(`${S.adminUser}:wrong`)}`,
      `Basic ${b64(`${S.adminUser}:${S.adminPassword}x`)}`,
      `Basic ${b64(`someone:${S.adminPassword}`)}`,
      `Basic ${b64(S.adminToken)}`,
      `Token ${S.adminToken}`,
    ];
    for (const authorization of wrong) {
      for (const path of ["/api/failures", "/queues", "/queues/api/queues"]) {
        expect((await admin(path, authorization)).status, `${authorization} ${path}`).toBe(401);
      }
    }
    for (const authorization of [bearer, basic, `bearer  ${S.adminToken}`]) {
      expect((await admin("/api/failures", authorization)).status).toBe(200);
    }
    const listed = (await admin("/api/failures?reason=auth_failed", basic)).json as { failures: { id: string }[] };
    expect(listed.failures.length).toBeGreaterThanOrEqual(2);
    await admin("/api/failures?q=HubSpot", bearer);
    await admin("/api/failures?q=redacted", bearer);
    await admin(`/api/events/${hubspot401.eventId}`, bearer);
    await admin("/api/customers/u-ok@example.com/timeline", basic);
    const retry = await admin(`/api/failures/${hubspot401.id}/retry`, basic, { method: "POST", body: "{}" });
    expect(retry.status).toBe(200);
    const discard = await admin(`/api/failures/${echoed.id}/discard`, bearer, {
      method: "POST",
      body: JSON.stringify({ note: "provider quoted our token back" }),
    });
    expect(discard.status).toBe(200);
    await admin("/api/failures/retry-all", bearer, { method: "POST", body: JSON.stringify({ reason: "auth_failed" }) });
    await admin("/api/failures/retry-all", basic, { method: "POST", body: "not json" });
    await admin(`/api/events/${hubspot401.eventId}/replay`, basic, {
      method: "POST",
      body: JSON.stringify({ reason: "check the ledger after the token fix" }),
    });
    const customer = await customerByEmail(sys, "u-ok@example.com");
    await admin(`/api/customers/${customer?.id}/override`, basic, {
      method: "POST",
      body: JSON.stringify({ status: "entitled", reason: "goodwill while billing is fixed" }),
    });
    await admin("/api/audit", bearer);
    await admin("/api/kpis", bearer);
    await admin("/openapi.json", basic);
    // Bull Board's page and API, failed lists included: job data, failed reasons and stack traces.
    const boardQueues = [...WORK_QUEUES, ...REASON_CODES.map((r) => `failed.${r}`)];
    for (const queue of boardQueues) {
      await admin(`/queues/api/queues?activeQueue=${queue}&status=failed&page=1`, bearer);
      await admin(`/queues/api/queues?activeQueue=${queue}&status=completed&page=1`, bearer);
    }
    await admin("/queues", basic);
    await admin("/queues/api/redis/stats", bearer);
    await drained();
    expect(responses.length).toBeGreaterThan(90);
  });

  it("finds none of the secret values anywhere it looked", async () => {
    const secrets = secretsToFind(sys, alerts.url);
    const haystacks: Haystack[] = [];
    haystacks.push(...logs.map((line, i) => ({ where: `log line ${i}`, text: line })));
    haystacks.push(
      ...responses.map((r) => ({
        where: `response of ${r.where}`,
        text: `${r.head}\n\n${r.body}`,
      })),
    );
    const failures = await sys.dbHandle.db.select().from(schema.failures);
    haystacks.push(...failures.map((f) => ({ where: `failures.last_error ${f.id}`, text: f.lastError ?? "" })));
    const audit = await sys.dbHandle.db.select().from(schema.auditLog);
    haystacks.push(...audit.map((a) => ({ where: `audit_log ${a.id}`, text: JSON.stringify(a) })));
    haystacks.push(...alerts.received.map((a, i) => ({ where: `alert payload ${i}`, text: JSON.stringify(a.body) })));
    haystacks.push(...(await everythingStored(sys)));

    const leaks = leaksIn(haystacks, secrets);
    // The paths were exercised: there was something to leak.
    expect(logs.length).toBeGreaterThan(20);
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(audit.length).toBeGreaterThanOrEqual(4);
    expect(alerts.received.length).toBeGreaterThanOrEqual(2);
    expect(logs.join("\n")).toContain("[redacted]");
    expect(leaks, `${leaks.length} leak(s) in ${haystacks.length} places searched`).toEqual([]);
  });
});
