import type { ReasonCode } from "@switchyard/events";
import { and, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { failures } from "./schema.ts";

export type FailureRow = typeof failures.$inferSelect;

export interface NewFailure {
  eventId: string | null;
  queue: string;
  jobName: string;
  jobId: string;
  reason: ReasonCode;
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

/**
 * A job that succeeded closes its failure, open or retrying: the effect is in place, whoever re-ran
 * it (a re-drive, or an operator's Retry on the origin job in Bull Board). Only a later run of the
 * same job can succeed after its failure was recorded, so this is always the current occurrence.
 */
export async function resolveFailure(db: Db, queue: string, jobId: string): Promise<void> {
  await db
    .update(failures)
    .set({ status: "resolved", resolvedAt: new Date(), updatedAt: new Date() })
    .where(and(eq(failures.queue, queue), eq(failures.jobId, jobId), inArray(failures.status, ["open", "retrying"])));
}

/**
 * open → retrying, the claim that entitles its caller (and no one else) to re-drive the job. A
 * conditional update, so of any number of concurrent retries exactly one gets the row back.
 * `attempt` is the occurrence the caller saw (`occurrences`): a retry aimed at an earlier
 * occurrence does not re-drive one that failed again since.
 */
export async function beginRetry(db: Db, id: string, attempt?: number): Promise<FailureRow | undefined> {
  const [row] = await db
    .update(failures)
    .set({ status: "retrying", updatedAt: new Date() })
    .where(
      and(
        eq(failures.id, id),
        eq(failures.status, "open"),
        attempt === undefined ? undefined : eq(failures.occurrences, attempt),
      ),
    )
    .returning();
  return row;
}

/**
 * Claims up to `limit` open failures of a reason (Retry all). SKIP LOCKED: two Retry alls running
 * together claim disjoint sets instead of waiting on each other's rows.
 */
export async function beginRetryAll(db: Db, reason: ReasonCode, limit = 1_000): Promise<FailureRow[]> {
  const open = db
    .select({ id: failures.id })
    .from(failures)
    .where(and(eq(failures.reason, reason), eq(failures.status, "open")))
    .orderBy(failures.updatedAt)
    .limit(limit)
    .for("update", { skipLocked: true });
  return db
    .update(failures)
    .set({ status: "retrying", updatedAt: new Date() })
    .where(and(inArray(failures.id, open), eq(failures.status, "open")))
    .returning();
}

/**
 * Ends the claim of `attempt`: resolved (the job had already succeeded), or back to open (the
 * re-drive could not be sent). Only from retrying and only for that occurrence, so neither a
 * resolved failure nor one that has failed again since is ever changed by it.
 */
export async function finishRetry(db: Db, id: string, attempt: number, to: "resolved" | "open"): Promise<boolean> {
  const now = new Date();
  const rows = await db
    .update(failures)
    .set(
      to === "resolved" ? { status: "resolved", resolvedAt: now, updatedAt: now } : { status: "open", updatedAt: now },
    )
    .where(and(eq(failures.id, id), eq(failures.status, "retrying"), eq(failures.occurrences, attempt)))
    .returning({ id: failures.id });
  return rows.length > 0;
}

/** Closes a failure with a note, unless it is already closed (resolved or discarded). */
export async function discardFailureRow(db: Db, id: string, note: string): Promise<FailureRow | undefined> {
  const [row] = await db
    .update(failures)
    .set({ status: "discarded", note, updatedAt: new Date() })
    .where(and(eq(failures.id, id), inArray(failures.status, ["open", "retrying"])))
    .returning();
  return row;
}

export interface FailureFilter {
  /** As an operator typed it: a reason no failure has finds nothing. */
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

/** The conditions of a failure search, shared by the search and the paged list (failures-page-repo.ts). */
export function failureConditions(f: FailureFilter): SQL[] {
  const where: SQL[] = [];
  if (f.reason) where.push(eq(failures.reason, f.reason as ReasonCode));
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
  return where;
}

/** What Bull Board cannot do: search failures by reason, queue, customer, event or text. */
export async function searchFailures(db: Db, f: FailureFilter): Promise<FailureRow[]> {
  const where = failureConditions(f);
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
