import { createTestDatabase } from "@switchyard/testkit";
import { createDb, type DbHandle } from "./client.ts";
import { runMigrations } from "./migrate.ts";

export interface MigratedDatabase {
  url: string;
  handle: DbHandle;
  /** Closes the pool, then drops the database. */
  close(): Promise<void>;
}

/** A database of the test file's own on the local Postgres, migrated, with a pool open on it. */
export async function migratedTestDatabase(label: string): Promise<MigratedDatabase> {
  const testDb = await createTestDatabase(label);
  const handle = await createDb({ databaseUrl: testDb.url });
  await runMigrations(handle);
  return {
    url: testDb.url,
    handle,
    async close() {
      await handle.close();
      await testDb.drop();
    },
  };
}
