import { and, desc, type SQL, sql } from "drizzle-orm";
import { type Db, rowsOf } from "./client.ts";
import { type FailureFilter, type FailureRow, failureConditions } from "./failures-repo.ts";
import { failures } from "./schema.ts";

/** Counting stops here: past it a list says "more than", rather than scanning everything. */
export const COUNT_CAP = 10_000;

/** A page of a list: its rows, the cursor of the next page (none on the last), the matching count. */
export interface Page<T> {
  rows: T[];
  next: string | null;
  /** How many rows match the filter, at most `COUNT_CAP` (then `capped`). */
  total: number;
  capped: boolean;
}

/** `select count(*)` of at most COUNT_CAP + 1 matching rows. */
export async function cappedCount(
  db: Db,
  table: SQL,
  where: SQL | undefined,
): Promise<{ total: number; capped: boolean }> {
  const result = await db.execute(
    sql`select count(*)::int as n from (select 1 from ${table} ${where ? sql`where ${where}` : sql``} limit ${COUNT_CAP + 1}) s`,
  );
  const n = Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
  return { total: Math.min(n, COUNT_CAP), capped: n > COUNT_CAP };
}

const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|([0-9a-f-]{36})$/;

/**
 * Failures newest first, keyset-paged on (updated_at, id). The cursor carries updated_at as
 * Postgres wrote it, to the microsecond: a JavaScript Date would round it to the millisecond and
 * miss or repeat rows written within the same one.
 */
export async function pageFailures(
  db: Db,
  f: FailureFilter,
  page: { after?: string | undefined; limit: number },
): Promise<Page<FailureRow>> {
  const where = failureConditions(f);
  const filter = where.length ? and(...where) : undefined;
  const after = page.after ? CURSOR.exec(page.after) : null;
  if (page.after && !after) throw new RangeError("not a cursor of this list");
  const keyset = after
    ? sql`(${failures.updatedAt}, ${failures.id}) < (${after[1]}::timestamptz, ${after[2]}::uuid)`
    : undefined;
  const limit = Math.min(Math.max(page.limit, 1), 1_000);
  const [rows, count] = await Promise.all([
    db
      .select({
        row: failures,
        at: sql<string>`to_char(${failures.updatedAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      })
      .from(failures)
      .where(keyset ? and(filter, keyset) : filter)
      .orderBy(desc(failures.updatedAt), desc(failures.id))
      .limit(limit + 1),
    cappedCount(db, sql`${failures}`, filter),
  ]);
  const more = rows.length > limit;
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return { rows: shown.map((r) => r.row), next: more && last ? `${last.at}|${last.row.id}` : null, ...count };
}
