import { createDb, type DbHandle, runMigrations, schema } from "@switchyard/db";
import { createTestDatabase, FakeZendesk, type TestDatabase } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRollout, ROLLOUT_NAMES, rolloutDesk, rolloutFromConfig } from "./rollout.ts";
import { zendeskDesk } from "./zendesk.ts";

const rollout = (modes: string[], customers: string[] = [], percent = 0) =>
  rolloutFromConfig({ ROLLOUT_MODES: modes, ROLLOUT_LIVE_CUSTOMERS: customers, ROLLOUT_LIVE_PERCENT: percent });

describe("rollout modes", () => {
  it("is live unless named; the stricter of queue and source wins; * names every one", () => {
    expect(rollout([]).scope("crm-sync", "app", "e").mode).toBe("live");
    const r = rollout(["crm-sync=shadow", "zendesk=off"]);
    expect(r.scope("crm-sync", "app", "e").mode).toBe("shadow");
    expect(r.scope("support-context", "zendesk", "e").mode).toBe("off");
    expect(r.scope("support-context", "app", "e").mode).toBe("live");
    expect(rollout(["*=shadow", "stripe=live"]).scope("billing-sync", "stripe", "e").mode).toBe("shadow");
  });

  it("refuses a name that is neither a queue nor a routed source", () => {
    expect(ROLLOUT_NAMES).toEqual(expect.arrayContaining(["crm-sync", "stripe", "hubspot", "zendesk", "app"]));
    expect(() => rollout(["crm-synk=shadow"])).toThrow(/crm-synk/);
  });

  it("lets allowed customers, and a stable share of the rest, be live in shadow", () => {
    const r = rollout(["crm-sync=shadow"], ["vip@example.com", "u-42"]);
    const scope = r.scope("crm-sync", "app", "e");
    expect(r.modeFor(scope, { id: "c1", email: "VIP@example.com" })).toBe("live");
    expect(r.modeFor(scope, { id: "c2", externalId: "u-42" })).toBe("live");
    expect(r.modeFor(scope, { id: "c3", email: "other@example.com" })).toBe("shadow");
    const ids = Array.from({ length: 2_000 }, (_, i) => `customer-${i}`);
    const quarter = parseRollout(
      { ROLLOUT_MODES: ["crm-sync=shadow"], ROLLOUT_LIVE_CUSTOMERS: [], ROLLOUT_LIVE_PERCENT: 25 },
      ROLLOUT_NAMES,
    );
    const live = ids.filter((id) => quarter.modeFor(scope, { id }) === "live");
    expect(live.length / ids.length).toBeGreaterThan(0.2);
    expect(live.length / ids.length).toBeLessThan(0.3);
    // The same customers on every call (and in every process).
    expect(ids.filter((id) => quarter.modeFor(scope, { id }) === "live")).toEqual(live);
    // Off stays off whoever the customer is.
    const off = rollout(["crm-sync=off"], ["vip@example.com"], 100);
    expect(off.modeFor(off.scope("crm-sync", "app", "e"), { id: "c1", email: "vip@example.com" })).toBe("off");
  });
});

describe("the desk in shadow, against the Zendesk fake", () => {
  let fake: FakeZendesk;
  let testDb: TestDatabase;
  let handle: DbHandle;
  beforeAll(async () => {
    fake = await FakeZendesk.start({ email: "bot@example.com", apiToken: "zd-shadow" });
    testDb = await createTestDatabase("rollout_desk");
    handle = await createDb({ databaseUrl: testDb.url });
    await runMigrations(handle);
  });
  afterAll(async () => {
    await fake.close();
    await handle.close();
    await testDb.drop();
  });

  it("records what it would have written, once per write, and writes for a live customer", async () => {
    fake.addTicket({ id: 61, requesterEmail: "shadow@example.com" });
    fake.addTicket({ id: 62, requesterEmail: "vip@example.com" });
    const live = zendeskDesk({ baseUrl: fake.url, email: "bot@example.com", apiToken: "zd-shadow", db: handle.db });
    const r = rollout(["support-context=shadow"], ["vip@example.com"]);
    const scope = r.scope("support-context", "zendesk", "0192f0a0-0000-7000-8000-000000000002");
    const shadow = rolloutDesk(handle.db, live, r, scope, { id: crypto.randomUUID(), email: "shadow@example.com" });
    for (let i = 0; i < 2; i++) {
      await shadow.addInternalNote("61", { kind: "context", body: "Plan: pro" }, { idempotencyKey: "context-1" });
      await shadow.updateTicket("61", { addTags: ["refund"] }, { idempotencyKey: "e-tags" });
    }
    expect(fake.received).toHaveLength(0);
    const rows = await handle.db.select().from(schema.shadowWrites);
    expect(rows.map((w) => [w.provider, w.operation, w.target])).toEqual([
      ["zendesk", "add_internal_note", "61"],
      ["zendesk", "update_ticket", "61"],
    ]);
    const vip = rolloutDesk(handle.db, live, r, scope, { id: crypto.randomUUID(), email: "VIP@example.com" });
    await vip.addInternalNote("62", { kind: "context", body: "Plan: scale" }, { idempotencyKey: "context-2" });
    expect(fake.notesOn(62)).toHaveLength(1);
  });
});
