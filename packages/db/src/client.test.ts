import { createTestDatabase, type TestDatabase } from "@switchyard/testkit";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type DbHandle, rowsOf } from "./client.ts";
import { runMigrations } from "./migrate.ts";
import { events } from "./schema.ts";

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

  it("plans every execution afresh when asked (workers), so no plan made on an empty table is kept", async () => {
    const worker = await createDb({ databaseUrl: testDb.url, maxConnections: 1, planEveryExecution: true });
    try {
      const plans = async (db: DbHandle["db"], probe: string) => {
        for (let i = 0; i < 8; i++)
          await db
            .select()
            .from(events)
            .where(eq(events.sourceEventId, `${probe}-${i}`));
        const result = await db.execute(sql`
          select generic_plans::int as generic, custom_plans::int as custom from pg_prepared_statements
          where statement like '%"events"."source_event_id" = $1%'`);
        return rowsOf<{ generic: number; custom: number }>(result)[0];
      };
      expect(await plans(worker.db, "worker")).toEqual({ generic: 0, custom: 8 });
      // Postgres's default, kept for ingest: one generic plan after the fifth execution.
      expect(await plans(handle.db, "ingest")).toEqual({ generic: 3, custom: 5 });
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
