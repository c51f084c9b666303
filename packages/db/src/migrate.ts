import { fileURLToPath } from "node:url";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import type { DbHandle } from "./client.ts";

const MIGRATIONS = fileURLToPath(new URL("../migrations", import.meta.url));
/** Arbitrary but fixed: every Switchyard process agrees on it. */
const MIGRATION_LOCK = 0x5357_4d31;

/** Applies pending migrations; concurrent starters wait on one lock, so exactly one applies them. */
export async function runMigrations(handle: DbHandle): Promise<void> {
  await handle.withAdvisoryLock(MIGRATION_LOCK, async () => {
    if (handle.kind === "pglite") {
      // Imported here, like PGlite itself (client.ts): a server's processes never load it.
      const { migrate: migratePglite } = await import("drizzle-orm/pglite/migrator");
      await migratePglite(handle.db as never, { migrationsFolder: MIGRATIONS });
    } else {
      await migratePostgres(handle.db as never, { migrationsFolder: MIGRATIONS });
    }
  });
}
