import { createTestDatabase, freePort, startHalfOpenProxy, type TestDatabase } from "@switchyard/testkit";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isDatabaseUnavailable } from "./availability.ts";
import { createDb } from "./client.ts";

describe("a database that is unavailable", () => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase("availability");
  });
  afterAll(() => testDb?.drop());

  it("is told from a query's own fault, through drizzle's wrapper", async () => {
    const port = await freePort();
    const down = await createDb({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/x`, maxConnections: 1 });
    const refused = await down.db.execute(sql`select 1`).catch((e: unknown) => e);
    await down.close();
    expect(isDatabaseUnavailable(refused)).toBe(true);

    const up = await createDb({ databaseUrl: testDb.url, maxConnections: 1 });
    try {
      const syntax = await up.db.execute(sql`select from nowhere_at_all`).catch((e: unknown) => e);
      expect(syntax).toBeInstanceOf(Error);
      expect(isDatabaseUnavailable(syntax)).toBe(false);
      const cancelled = await up.db
        .execute(sql`select pg_cancel_backend(pg_backend_pid()), pg_sleep(1)`)
        .catch((e: unknown) => e);
      expect(isDatabaseUnavailable(cancelled)).toBe(true);
    } finally {
      await up.close();
    }
    expect(isDatabaseUnavailable(Object.assign(new Error("x"), { code: "25006" }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([Object.assign(new Error(), { code: "ECONNREFUSED" })]))).toBe(
      true,
    );
    expect(isDatabaseUnavailable(Object.assign(new Error("x"), { code: "23505" }))).toBe(false);
    expect(isDatabaseUnavailable("ECONNREFUSED")).toBe(false);
  });

  it("does not wedge a pool whose connections were left half-open by a failover: the pool is replaced", async () => {
    const url = new URL(testDb.url);
    const proxy = await startHalfOpenProxy({ host: url.hostname, port: Number(url.port) });
    url.port = String(proxy.port);
    const replaced: number[] = [];
    const handle = await createDb({
      databaseUrl: url.toString(),
      maxConnections: 2,
      stallMs: 1_000,
      onPoolReplaced: (waited) => replaced.push(waited),
    });
    try {
      await Promise.all([handle.db.execute(sql`select 1`), handle.db.execute(sql`select pg_sleep(0.05)`)]);
      proxy.failover();
      const started = performance.now();
      const stuck = await handle.db.execute(sql`select 2`).catch((e: unknown) => e);
      const failedAfter = performance.now() - started;
      expect(isDatabaseUnavailable(stuck)).toBe(true);
      expect(failedAfter).toBeGreaterThan(900);
      expect(failedAfter).toBeLessThan(1_600);
      expect(replaced).toHaveLength(1);
      // The new pool connects again, through the same address, and answers at once.
      const again = performance.now();
      await handle.db.execute(sql`select 3`);
      await handle.ping();
      expect(performance.now() - again).toBeLessThan(500);
      expect(replaced).toHaveLength(1);
    } finally {
      await handle.close();
      await proxy.close();
    }
  });
});
