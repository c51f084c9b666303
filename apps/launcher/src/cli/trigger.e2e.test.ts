import {
  createTestDatabase,
  deleteKeysWithPrefix,
  freePort,
  type TestDatabase,
  uniquePrefix,
} from "@switchyard/testkit";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Proc, run } from "../testing/processes.ts";
import { CLI_MAIN, sy } from "./testing.ts";

const SECRETS = {
  STRIPE_WEBHOOK_SECRET: "whsec_trigger_e2e_0123456789abcdef",
  HUBSPOT_CLIENT_SECRET: "hubspot-trigger-e2e-secret",
  ZENDESK_WEBHOOK_SECRET: "zendesk-trigger-e2e-secret",
  APP_API_KEYS: "sy_trigger_e2e_key_0123456789",
  ADMIN_TOKEN: "sy_admin_trigger_e2e_0123456789a",
};

interface Row {
  id: string;
  source: string;
  source_event_id: string;
  type: string;
  status: string;
  payload: unknown;
}

async function until<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("./sy trigger against a running Switchyard", () => {
  const prefix = uniquePrefix("trigger");
  let db: TestDatabase;
  let sql: postgres.Sql;
  let switchyard: Proc;
  let env: Record<string, string>;
  let adminUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase("trigger");
    sql = postgres(db.url, { max: 1, onnotice: () => {} });
    const ports = { INGEST_PORT: String(await freePort()), ADMIN_PORT: String(await freePort()) };
    adminUrl = `http://127.0.0.1:${ports.ADMIN_PORT}`;
    // Through the CLI, as `./sy start` runs it: main.ts in the dispatcher's own process.
    switchyard = run(
      CLI_MAIN,
      { ...SECRETS, ...ports, DATABASE_URL: db.url, QUEUE_PREFIX: prefix, RETRY_BACKOFF_MS: "200" },
      ["start"],
    );
    await switchyard.waitFor("switchyard running", 60_000);
    // What the operator's shell holds: the same secrets and ports `./sy start` was given, no database.
    env = { ...SECRETS, ...ports };
  }, 90_000);

  afterAll(async () => {
    // SIGTERM reaches main.ts's own handler through the dispatcher: a clean stop, exit 0.
    expect(await switchyard?.stop()).toBe(0);
    await sql?.end();
    await db?.drop();
    await deleteKeysWithPrefix(prefix);
  });

  const row = async (id: string) => (await sql<Row[]>`select * from events where id = ${id}`)[0];
  const processed = (id: string) =>
    until(async () => {
      const r = await row(id);
      return r?.status === "processed" ? r : undefined;
    }, `event ${id} processed`);

  function eventIdIn(stdout: string): string {
    const id = /^ {2}Event {4}(\S+)/m.exec(stdout)?.[1];
    expect(id, stdout).toMatch(/^[0-9a-f-]{36}$/);
    return id as string;
  }

  it("./sy trigger stripe.invoice.paid records one signed event that admin's API and the console links show", async () => {
    const r = await sy(["trigger", "stripe.invoice.paid"], { script: true, env });
    expect(r.code, r.stderr).toBe(0);
    // stderr may hold the prelude's `pnpm install` (after a lockfile change), never a trigger's complaint.
    expect(r.stderr).not.toMatch(/^(sy trigger|note):/m);
    const [, sent] = /^Sending stripe\.invoice\.paid \((evt_\w+)\) to POST (\S+)$/m.exec(r.stdout) ?? [];
    expect(sent, r.stdout).toBeDefined();
    expect(r.stdout).toMatch(
      /^202 Accepted \{"status":"accepted","eventId":"[0-9a-f-]{36}","queues":\["billing-sync"\]\}$/m,
    );
    const id = eventIdIn(r.stdout);
    expect(r.stdout).toContain(`  Console  ${adminUrl}/console/events/${id}\n`);
    expect(r.stdout).toContain(`  API      GET ${adminUrl}/api/events/${id}\n`);
    expect(r.stdout).toContain(`curl -H "Authorization: Bearer $ADMIN_TOKEN" ${adminUrl}/api/events/${id}`);
    for (const secret of Object.values(SECRETS)) expect(r.stdout).not.toContain(secret);

    // Recorded once, under Stripe's own event id, and worked by billing-sync.
    const recorded = await sql<Row[]>`select * from events where source_event_id = ${sent as string}`;
    expect(recorded.map((e) => [e.id, e.source, e.type])).toEqual([[id, "stripe", "stripe.invoice.paid"]]);
    await processed(id);
    const [customer] = await sql`select email, stripe_customer_id from customers where stripe_customer_id = 'cus_uada'`;
    expect(customer?.email).toBe("ada@example.com");

    const unauthenticated = await fetch(`${adminUrl}/api/events/${id}`);
    expect(unauthenticated.status).toBe(401);
    const res = await fetch(`${adminUrl}/api/events/${id}`, {
      headers: { authorization: `Bearer ${SECRETS.ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(200);
    const { event } = (await res.json()) as { event: { id: string; type: string; sourceEventId: string } };
    expect(event).toMatchObject({ id, type: "stripe.invoice.paid", sourceEventId: sent });
  });

  it.each([
    ["hubspot.contact.propertyChange", ["crm-sync"]],
    ["zendesk.ticket.comment_added", ["ai-triage"]],
    ["app.support.requested", ["support-context", "ai-triage"]],
  ])("%s is signed as its provider signs it, accepted and processed", async (type, queues) => {
    const r = await sy(["trigger", type, "--email", "grace@example.com", "--user", "u-grace"], { env });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`"queues":${JSON.stringify(queues)}`);
    const id = eventIdIn(r.stdout);
    const done = await processed(id);
    expect(done.type).toBe(type);
    // Zendesk's events name the requester by id only (its Users API has the email).
    if (!type.startsWith("zendesk.")) expect(JSON.stringify(done.payload)).toContain("grace@example.com");
  });

  it("--url and --admin-url stand in for the ports; HubSpot's signature covers the URL given", async () => {
    const { INGEST_PORT, ADMIN_PORT: _admin, ...secretsOnly } = env;
    const admin = "http://admin.internal:8080";
    const r = await sy(
      ["trigger", "hubspot.contact.creation", "--url", `http://127.0.0.1:${INGEST_PORT}/`, "--admin-url", admin],
      {
        env: secretsOnly,
      },
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`to POST http://127.0.0.1:${INGEST_PORT}/webhooks/hubspot\n`);
    const id = eventIdIn(r.stdout);
    expect(r.stdout).toContain(`  Console  ${admin}/console/events/${id}\n`);
    expect((await processed(id)).source).toBe("hubspot");
  });

  it("an app event goes to /v1/events with the API key and an Idempotency-Key of its own", async () => {
    const args = ["trigger", "app.user.signed_up", "--email", "linus@example.com", "--user", "u-linus"];
    const [first, second] = [await sy(args, { env }), await sy(args, { env })];
    for (const r of [first, second]) expect(r.code, r.stderr).toBe(0);
    const keys = [first, second].map(
      (r) => /\((sy-trigger-[0-9a-f-]+)\) to POST \S+\/v1\/events$/m.exec(r.stdout)?.[1],
    );
    expect(keys[0]).toBeDefined();
    expect(keys[0]).not.toBe(keys[1]);
    const done = await processed(eventIdIn(first.stdout));
    expect(done).toMatchObject({
      source: "app",
      source_event_id: keys[0],
      payload: { type: "user.signed_up", data: { userId: "u-linus", email: "linus@example.com" } },
    });
  });

  it("a secret the running Switchyard does not share is its 401, with a hint, exit 1", async () => {
    const r = await sy(["trigger", "zendesk.ticket.created"], {
      env: { ...env, ZENDESK_WEBHOOK_SECRET: "not-the-one-it-verifies" },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^401 Unauthorized \{"error":\{"code":"auth_failed"/m);
    expect(r.stderr).toBe(
      "sy trigger: the running Switchyard refused the signature: is its ZENDESK_WEBHOOK_SECRET the one set here?\n",
    );
  });
});
