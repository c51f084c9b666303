import { createTestDatabase, type TestDatabase } from "@switchyard/testkit";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle, rowsOf } from "./client.ts";
import { runMigrations } from "./migrate.ts";
import { customers, events } from "./schema.ts";

describe("the Postgres client", () => {
  let testDb: TestDatabase;
  let handle: DbHandle;
  beforeAll(async () => {
    testDb = await createTestDatabase("client");
    const migrator = await createDb({ databaseUrl: testDb.url, maxConnections: 2 });
    await runMigrations(migrator);
    await migrator.close();
    // One connection, so the session that prepared a statement is the one asked about it.
    handle = await createDb({ databaseUrl: testDb.url, maxConnections: 1 });
  });
  afterAll(async () => {
    await handle?.close();
    await testDb?.drop();
  });

  const rows = async <T>(query: ReturnType<typeof sql>) => (await handle.db.execute(query)) as unknown as T[];
  const prepared = async () =>
    (await rows<{ statement: string }>(sql`select statement from pg_prepared_statements`)).map((r) => r.statement);

  it("prepares drizzle's queries, so each runs in one round trip once its text is known", async () => {
    await handle.db.select().from(events).where(eq(events.source, "stripe"));
    await handle.db.select().from(events).where(eq(events.source, "hubspot"));
    const statements = (await prepared()).filter((s) => s.includes('from "events" where "events"."source" = $1'));
    expect(statements).toHaveLength(1);
  });

  it("keeps a worker's cached plans on the index, even for a table analyzed while empty", async () => {
    const worker = await createDb({ databaseUrl: testDb.url, maxConnections: 1, keyLookupsOnly: true });
    try {
      // Statistics that say the table is empty: what a fresh install has before its first rows.
      await handle.db.execute(sql`analyze customers`);
      const lookup = (db: DbHandle["db"], probe: string) =>
        db.select().from(customers).where(eq(customers.externalId, probe));
      const planOf = async (db: DbHandle["db"]) =>
        rowsOf<{ "QUERY PLAN": string }>(
          await db.execute(sql`explain select * from customers where external_id = ${"u-1"}`),
        )
          .map((r) => r["QUERY PLAN"])
          .join("\n");
      const cached = async (db: DbHandle["db"], probe: string) => {
        for (let i = 0; i < 8; i++) await lookup(db, `${probe}-${i}`);
        const result = await db.execute(sql`
          select generic_plans::int as generic from pg_prepared_statements
          where statement like '%from "customers" where "customers"."external_id" = $1%'`);
        return rowsOf<{ generic: number }>(result)[0]?.generic;
      };
      // Postgres's default (ingest): a sequential scan, which a cached plan would keep as rows arrive.
      expect(await planOf(handle.db)).toMatch(/^Seq Scan on customers/);
      // A worker's session: the unique index, and the plan is cached, not made again each time.
      expect(await planOf(worker.db)).toMatch(/Index Scan using customers_external_id_unique/);
      expect(await cached(worker.db, "worker")).toBe(3);
    } finally {
      await worker.close();
    }
  });

  it("prepares inside transactions too, and still commits and rolls back", async () => {
    await handle.db.transaction(async (tx) => {
      await tx.select().from(events).where(eq(events.type, "tx.probe"));
    });
    expect((await prepared()).some((s) => s.includes('where "events"."type" = $1'))).toBe(true);
    await expect(
      handle.db.transaction(async (tx) => {
        await tx.execute(sql`create table rolled_back (id int)`);
        throw new Error("undo");
      }),
    ).rejects.toThrow("undo");
    const [row] = await rows<{ t: string | null }>(sql`select to_regclass('rolled_back')::text as t`);
    expect(row?.t).toBeNull();
  });
});
