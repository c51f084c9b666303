import { and, desc, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import type { AuditRow } from "./events-journey-repo.ts";
import { cappedCount, type Page } from "./failures-page-repo.ts";
import { auditLog } from "./schema.ts";

export interface AuditFilter {
  actor?: string | undefined;
  /** An action (`failure.retry`) or its prefix up to a dot or a space (`failure`, `bull-board`). */
  action?: string | undefined;
  target?: string | undefined;
}

/** Audit entries newest first, keyset-paged on the serial id; the cursor is the last id shown. */
export async function pageAudit(
  db: Db,
  f: AuditFilter,
  page: { after?: string | undefined; limit: number },
): Promise<Page<AuditRow>> {
  if (page.after && !/^\d{1,18}$/.test(page.after)) throw new RangeError("not a cursor of this list");
  const where: SQL[] = [];
  if (f.actor) where.push(eq(auditLog.actor, f.actor));
  if (f.action) {
    const a = f.action;
    where.push(
      sql`(${auditLog.action} = ${a} or starts_with(${auditLog.action}, ${`${a}.`}) or starts_with(${auditLog.action}, ${`${a} `}))`,
    );
  }
  if (f.target) where.push(eq(auditLog.target, f.target));
  const filter = where.length ? and(...where) : undefined;
  const limit = Math.min(Math.max(page.limit, 1), 1_000);
  const keyset = page.after ? sql`${auditLog.id} < ${Number(page.after)}` : undefined;
  const [rows, count] = await Promise.all([
    db
      .select()
      .from(auditLog)
      .where(keyset ? and(filter, keyset) : filter)
      .orderBy(desc(auditLog.id))
      .limit(limit + 1),
    cappedCount(db, sql`${auditLog}`, filter),
  ]);
  const shown = rows.slice(0, limit);
  return { rows: shown, next: rows.length > limit ? String(shown.at(-1)?.id) : null, ...count };
}

/** Who has acted, and which actions exist, for the audit page's filters. */
export async function auditFacets(db: Db): Promise<{ actors: string[]; actions: string[] }> {
  const [actors, actions] = await Promise.all([
    db.selectDistinct({ v: auditLog.actor }).from(auditLog).orderBy(auditLog.actor).limit(200),
    db
      .selectDistinct({ v: sql<string>`split_part(split_part(${auditLog.action}, ' ', 1), '.', 1)` })
      .from(auditLog)
      .limit(200),
  ]);
  return { actors: actors.map((r) => r.v), actions: actions.map((r) => r.v).sort() };
}
