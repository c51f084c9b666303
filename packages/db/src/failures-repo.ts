import { and, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { failures } from "./schema.ts";

export type FailureRow = typeof failures.$inferSelect;

export interface NewFailure {
  eventId: string | null;
  queue: string;
  jobName: string;
  jobId: string;
  reason: string;
  attempts: number;
  lastError: string;
  payload: unknown;
}

/** One row per failed job; a job that fails again after a re-drive reopens it and counts. */
export async function recordFailure(db: Db, input: NewFailure): Promise<FailureRow> {
  const [row] = await db
    .insert(failures)
    .values({ ...input, payload: input.payload ?? null, status: "open" })
    .onConflictDoUpdate({
      target: [failures.queue, failures.jobId],
      set: {
        status: "open",
        reason: input.reason,
        attempts: input.attempts,
        lastError: input.lastError,
        occurrences: sql`${failures.occurrences} + 1`,
        resolvedAt: null,
        updatedAt: new Date(),
      },
    })
    .returning();
  if (!row) throw new Error(`failure for ${input.queue}/${input.jobId} was not recorded`);
  return row;
}

/** A job that succeeds after a re-drive closes its failure. */
export async function resolveFailure(db: Db, queue: string, jobId: string): Promise<void> {
  await db
    .update(failures)
    .set({ status: "resolved", resolvedAt: new Date(), updatedAt: new Date() })
    .where(and(eq(failures.queue, queue), eq(failures.jobId, jobId), inArray(failures.status, ["open", "retrying"])));
}

export async function markFailures(
  db: Db,
  ids: string[],
  status: "retrying" | "discarded",
  note?: string,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(failures)
    .set({ status, updatedAt: new Date(), ...(note ? { note } : {}) })
    .where(inArray(failures.id, ids));
}

export interface FailureFilter {
  reason?: string | undefined;
  queue?: string | undefined;
  status?: string | undefined;
  eventId?: string | undefined;
  /** Customer id, email or app user id. */
  customer?: string | undefined;
  /** Free text over the error and the payload. */
  q?: string | undefined;
  limit?: number | undefined;
}

/** What Bull Board cannot do: search failures by reason, queue, customer, event or text. */
export async function searchFailures(db: Db, f: FailureFilter): Promise<FailureRow[]> {
  const where: SQL[] = [];
  if (f.reason) where.push(eq(failures.reason, f.reason));
  if (f.queue) where.push(eq(failures.queue, f.queue));
  if (f.status) where.push(eq(failures.status, f.status as FailureRow["status"]));
  if (f.eventId) where.push(eq(failures.eventId, f.eventId));
  if (f.customer) {
    const c = f.customer;
    where.push(sql`(
      ${failures.eventId} in (
        select t.event_id from customer_timeline t join customers u on u.id = t.customer_id
        where u.id::text = ${c} or u.email = lower(${c}) or u.external_id = ${c})
      or ${failures.payload}::text ilike ${`%${c}%`})`);
  }
  if (f.q)
    where.push(sql`(${failures.lastError} ilike ${`%${f.q}%`} or ${failures.payload}::text ilike ${`%${f.q}%`})`);
  return db
    .select()
    .from(failures)
    .where(where.length ? and(...where) : undefined)
    .orderBy(desc(failures.updatedAt))
    .limit(Math.min(Math.max(f.limit ?? 100, 1), 1_000));
}

export async function getFailure(db: Db, id: string): Promise<FailureRow | undefined> {
  const [row] = await db.select().from(failures).where(eq(failures.id, id));
  return row;
}

/** How many failures there are of each (reason, status), for the failures gauge. */
export async function countFailures(db: Db): Promise<{ reason: string; status: string; n: number }[]> {
  return await db
    .select({ reason: failures.reason, status: failures.status, n: sql<number>`count(*)::int` })
    .from(failures)
    .groupBy(failures.reason, failures.status);
}
