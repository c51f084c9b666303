import { desc } from "drizzle-orm";
import type { Db } from "./client.ts";
import { auditLog } from "./schema.ts";

export interface AuditEntry {
  actor: string;
  action: string;
  target?: string | null;
  reason?: string | null;
  details?: unknown;
}

/** Who did what, when and why: every manual action lands here. */
export async function writeAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values({
    actor: entry.actor,
    action: entry.action,
    target: entry.target ?? null,
    reason: entry.reason ?? null,
    details: entry.details ?? null,
  });
}

export async function listAudit(db: Db, limit = 100) {
  return db
    .select()
    .from(auditLog)
    .orderBy(desc(auditLog.id))
    .limit(Math.min(Math.max(limit, 1), 1_000));
}
