import { inArray, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import type { EventRow } from "./events-repo.ts";
import { events, relayCursor } from "./schema.ts";

/** A position in (recorded_at, id) order. Times stay Postgres text: a Date would drop microseconds. */
export interface RelayPosition {
  at: string;
  id: string;
}

export interface RelayPass {
  /** Every `received` row at or before this had its jobs checked. */
  from: RelayPosition;
  /** Rows recorded before this are committed, or never will be, and past the grace period. */
  horizon: string;
}

const NIL_UUID = "00000000-0000-0000-0000-000000000000";

// postgres.js answers with the rows, PGlite with { rows }.
const rowsOf = <T>(result: unknown): T[] =>
  ((Array.isArray(result) ? result : (result as { rows?: unknown[] }).rows) ?? []) as T[];

/**
 * Takes the named cursor for `leaseMs`, or returns undefined while another pass holds it. The
 * horizon is the older of `graceMs` ago and the start of the oldest transaction still open in this
 * database: a row's recorded_at is its transaction's start, so nothing can still commit behind it.
 */
export async function claimRelayPass(
  db: Db,
  name: string,
  opts: { graceMs: number; leaseMs: number },
): Promise<RelayPass | undefined> {
  await db.insert(relayCursor).values({ name }).onConflictDoNothing();
  const result = await db.execute(sql`
    update ${relayCursor} set claimed_until = now() + ${opts.leaseMs} * interval '1 millisecond'
    where name = ${name} and (claimed_until is null or claimed_until < now())
    returning checked_until::text as at, checked_id::text as id, least(
      now() - ${opts.graceMs} * interval '1 millisecond',
      (select min(xact_start) from pg_stat_activity
        where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null)
    )::text as horizon`);
  const [row] = rowsOf<{ at: string; id: string; horizon: string }>(result);
  return row ? { from: { at: row.at, id: row.id }, horizon: row.horizon } : undefined;
}

/** The next `received` rows after `from` and before `horizon`, oldest first: ids and queues only. */
export async function scanReceived(
  db: Db,
  opts: { from: RelayPosition; horizon: string; limit: number },
): Promise<(RelayPosition & { queues: string[] })[]> {
  const result = await db.execute(sql`
    select id::text as id, recorded_at::text as at, queues from ${events}
    where status = 'received' and (recorded_at, id) > (${opts.from.at}::timestamptz, ${opts.from.id}::uuid)
      and recorded_at < ${opts.horizon}::timestamptz
    order by recorded_at, id limit ${opts.limit}`);
  return rowsOf<RelayPosition & { queues: string[] }>(result);
}

/** Moves the cursor and renews the lease, so a pass that stops later resumes from here. */
export async function advanceRelayCursor(db: Db, name: string, to: RelayPosition, leaseMs: number): Promise<void> {
  await db.execute(sql`
    update ${relayCursor} set checked_until = ${to.at}::timestamptz, checked_id = ${to.id}::uuid,
      claimed_until = now() + ${leaseMs} * interval '1 millisecond'
    where name = ${name}`);
}

/** Ends a pass: gives up the lease and, when the pass reached it, moves the cursor to the horizon. */
export async function releaseRelayPass(db: Db, name: string, reached?: string): Promise<void> {
  await db.execute(
    reached === undefined
      ? sql`update ${relayCursor} set claimed_until = null where name = ${name}`
      : sql`update ${relayCursor} set claimed_until = null, checked_until = ${reached}::timestamptz,
          checked_id = ${NIL_UUID}::uuid where name = ${name}`,
  );
}

export async function getEvents(db: Db, ids: readonly string[]): Promise<EventRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(events)
    .where(inArray(events.id, [...ids]));
}
