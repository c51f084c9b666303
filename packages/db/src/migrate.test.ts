import { readFileSync, rmSync } from "node:fs";
import { createTestDatabase, type TestDatabase } from "@switchyard/testkit";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "./client.ts";
import { recordEvent } from "./events-repo.ts";
import { runMigrations } from "./migrate.ts";
import { claimRelayPass, scanReceived } from "./relay-repo.ts";

/** Every migration the journal lists: each is applied exactly once. */
const MIGRATIONS = (
  JSON.parse(readFileSync(new URL("../migrations/meta/_journal.json", import.meta.url), "utf8")) as {
    entries: unknown[];
  }
).entries.length;

const TABLES = [
  "actions",
  "audit_log",
  "backfilled_events",
  "connect_accounts",
  "console_accounts",
  "console_login_throttle",
  "console_sessions",
  "crm_contact_mirror",
  "crm_contacts",
  "customer_timeline",
  "customers",
  "deliveries",
  "events",
  "external_notes",
  "failures",
  "order_facts",
  "orders",
  "reconcile_cursor",
  "relay_cursor",
  "review_items",
  "shadow_writes",
  "support_notes",
  "support_records",
  "support_tickets",
  "ticket_contexts",
  "triage_results",
  "webhook_refusals",
];

describe("migrations on Postgres", () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase("migrate");
  });
  afterAll(() => testDb.drop());

  it("are applied once when several processes start together", async () => {
    const handles = await Promise.all([1, 2, 3].map(() => createDb({ databaseUrl: testDb.url, maxConnections: 2 })));
    await Promise.all(handles.map((h) => runMigrations(h)));
    const sql = postgres(testDb.url, { max: 1 });
    const [applied] = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
    expect(MIGRATIONS).toBeGreaterThanOrEqual(3);
    expect(applied).toEqual({ n: MIGRATIONS });
    const tables = await sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`;
    expect(tables.map((r) => r.table_name)).toEqual(TABLES);
    await sql.end();
    await Promise.all(handles.map((h) => h.close()));
  });
});

describe("embedded PGlite", () => {
  it("migrates and keeps events in DATA_DIR across restarts", async () => {
    const dir = `/tmp/sy-pglite-${process.pid}-${Date.now()}`;
    const first = await createDb({ dataDir: dir });
    await runMigrations(first);
    const input = {
      source: "stripe",
      sourceEventId: "evt_1",
      type: "stripe.invoice.paid",
      payloadHash: "h",
      payload: { a: 1 },
      status: "received" as const,
      queues: ["billing-sync"],
      receivedAt: new Date(),
    };
    expect((await recordEvent(first.db, input)).duplicate).toBe(false);
    await first.close();
    const second = await createDb({ dataDir: dir });
    await runMigrations(second);
    const again = await recordEvent(second.db, input);
    expect(again.duplicate).toBe(true);
    expect(again.event.duplicates).toBe(1);
    const claim = () => claimRelayPass(second.db, "events", { graceMs: -1000, leaseMs: 60_000 });
    const pass = await claim();
    if (!pass) throw new Error("the first pass should get the cursor");
    const rows = await scanReceived(second.db, { ...pass, limit: 10 });
    expect(rows.map((r) => r.id)).toEqual([again.event.id]);
    // Held for the lease: a second relay gets no pass.
    expect(await claim()).toBeUndefined();
    await second.close();
    rmSync(dir, { recursive: true, force: true });
    // PGlite (WebAssembly) applies every migration twice here: slower than a real Postgres.
  }, 120_000);
});
