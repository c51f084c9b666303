import { and, desc, eq, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { cappedCount, type Page } from "./failures-page-repo.ts";
import { customerTimeline, reviewItems } from "./schema.ts";

export type TimelineRow = typeof customerTimeline.$inferSelect;

const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)\|(\d{1,18})$/;

/**
 * One customer's timeline newest first, keyset-paged on (at, id) through the customer's index;
 * the cursor keeps `at` to the microsecond, as Postgres wrote it.
 */
export async function pageTimeline(
  db: Db,
  customerId: string,
  page: { after?: string | undefined; limit: number },
): Promise<Page<TimelineRow>> {
  const after = page.after ? CURSOR.exec(page.after) : null;
  if (page.after && !after) throw new RangeError("not a cursor of this list");
  const mine = eq(customerTimeline.customerId, customerId);
  const keyset = after
    ? sql`(${customerTimeline.at}, ${customerTimeline.id}) < (${after[1]}::timestamptz, ${Number(after[2])})`
    : undefined;
  const limit = Math.min(Math.max(page.limit, 1), 1_000);
  const [rows, count] = await Promise.all([
    db
      .select({
        row: customerTimeline,
        at: sql<string>`to_char(${customerTimeline.at} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
      })
      .from(customerTimeline)
      .where(keyset ? and(mine, keyset) : mine)
      .orderBy(desc(customerTimeline.at), desc(customerTimeline.id))
      .limit(limit + 1),
    cappedCount(db, sql`${customerTimeline}`, mine),
  ]);
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return {
    rows: shown.map((r) => r.row),
    next: rows.length > limit && last ? `${last.at}|${last.row.id}` : null,
    ...count,
  };
}

/** Review items still waiting for a person, for a customer's status card. */
export async function openReviewCount(db: Db, customerId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(reviewItems)
    .where(and(eq(reviewItems.customerId, customerId), eq(reviewItems.status, "open")));
  return Number(row?.n ?? 0);
}
