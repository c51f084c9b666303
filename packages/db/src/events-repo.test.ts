import { createTestDatabase, type TestDatabase } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle } from "./client.ts";
import { getEvent, type NewEvent, recordEvents } from "./events-repo.ts";
import { runMigrations } from "./migrate.ts";

const event = (id: string, over: Partial<NewEvent> = {}): NewEvent => ({
  source: "stripe",
  sourceEventId: id,
  type: "stripe.invoice.paid",
  payload: { id },
  payloadHash: `hash-${id}`,
  status: "received",
  queues: ["billing-sync"],
  receivedAt: new Date(),
  ...over,
});

for (const driver of ["postgres", "pglite"] as const) {
  describe(`recordEvents on ${driver}`, () => {
    let testDb: TestDatabase | undefined;
    let handle: DbHandle;
    beforeAll(async () => {
      testDb = driver === "postgres" ? await createTestDatabase("events_repo") : undefined;
      handle = await createDb(testDb ? { databaseUrl: testDb.url } : { dataDir: "memory://" });
      await runMigrations(handle);
    });
    afterAll(async () => {
      await handle?.close();
      await testDb?.drop();
    });

    it("inserts a batch once, in input order, and counts repeats inside and across batches", async () => {
      const first = await recordEvents(handle.db, [event("evt_a"), event("evt_b"), event("evt_a"), event("evt_c")]);
      expect(first.map((r) => [r.event.sourceEventId, r.duplicate])).toEqual([
        ["evt_a", false],
        ["evt_b", false],
        ["evt_a", true],
        ["evt_c", false],
      ]);
      expect(first[2]?.event.id).toBe(first[0]?.event.id);

      const second = await recordEvents(handle.db, [event("evt_c"), event("evt_d"), event("evt_c"), event("evt_a")]);
      expect(second.map((r) => r.duplicate)).toEqual([true, false, true, true]);
      const byId = new Map(second.map((r) => [r.event.sourceEventId, r.event]));
      expect(byId.get("evt_c")?.duplicates).toBe(2);
      expect(byId.get("evt_a")?.duplicates).toBe(2);
      expect(byId.get("evt_d")?.duplicates).toBe(0);
    });

    it("answers each new event with the row as stored, without reading it back", async () => {
      const [a, b] = await recordEvents(handle.db, [
        event("evt_m1"),
        event("evt_m2", { payload: { nested: { list: [1, "two", null] } }, queues: ["crm-sync", "ai-triage"] }),
      ]);
      for (const result of [a, b]) {
        const stored = await getEvent(handle.db, result?.event.id ?? "");
        expect(result?.event).toEqual(stored);
      }
    });

    it("keeps sources apart: the same id from two sources is two events", async () => {
      const out = await recordEvents(handle.db, [event("evt_shared"), event("evt_shared", { source: "acme" })]);
      expect(out.map((r) => r.duplicate)).toEqual([false, false]);
      expect(out[0]?.event.id).not.toBe(out[1]?.event.id);
    });

    it("lets concurrent batches holding the same keys in opposite orders finish without a deadlock", async () => {
      const ids = Array.from({ length: 40 }, (_, i) => `evt_race_${i}`);
      const batches = Array.from({ length: 6 }, (_, i) =>
        (i % 2 === 0 ? ids : [...ids].reverse()).map((id) => event(id)),
      );
      const results = (await Promise.all(batches.map((b) => recordEvents(handle.db, b)))).flat();
      expect(results.filter((r) => !r.duplicate)).toHaveLength(40);
      const rows = await recordEvents(
        handle.db,
        ids.map((id) => event(id)),
      );
      // 5 repeats from the race plus this check's own.
      expect(rows.every((r) => r.duplicate && r.event.duplicates === 6)).toBe(true);
    });
  });
}
