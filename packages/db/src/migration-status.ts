import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { type DbHandle, rowsOf } from "./client.ts";

const JOURNAL = fileURLToPath(new URL("../migrations/meta/_journal.json", import.meta.url));

/**
 * The migrations this code has that the database has not applied. Drizzle's migrator applies every
 * journal entry newer than the last one recorded in `drizzle.__drizzle_migrations`; so does this.
 */
export async function pendingMigrations(handle: DbHandle): Promise<string[]> {
  const journal = JSON.parse(readFileSync(JOURNAL, "utf8")) as { entries: { tag: string; when: number }[] };
  let last = 0;
  try {
    const [row] = rowsOf<{ last: string | null }>(
      await handle.db.execute(sql`select max(created_at)::text as last from drizzle.__drizzle_migrations`),
    );
    last = Number(row?.last ?? 0);
  } catch {
    // No migrations table yet: nothing has been applied.
  }
  return journal.entries.filter((e) => e.when > last).map((e) => e.tag);
}
