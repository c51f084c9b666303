import { inArray, type SQL, sql } from "drizzle-orm";
import { type Db, rowsOf } from "./client.ts";
import type { EventRow } from "./events-repo.ts";
import { queueCompleted, routedJobParked } from "./ledger.ts";
import { events, relayCursor } from "./schema.ts";

/**
 * A position in (recorded_at, id) order. Times travel as microseconds since 1970 in a decimal
 * string: exact, and independent of the session's DateStyle and TimeZone (a Date drops microseconds).
 */
export interface RelayPosition {
  at: string;
  id: string;
}

export interface RelayPass {
  /** Every `received` row at or before this had its jobs checked. */
  from: RelayPosition;
  /** Rows recorded before this are committed, or never will be, and past the grace period. */
  horizon: string;
  /** This pass's lease (its expiry); advancing and releasing only work while it is current. */
  lease: string;
  /** False when Postgres hides some transaction from this role: the horizon cannot be trusted. */
  sighted: boolean;
  /** How far the horizon is behind the database's clock. */
  lagMs: number;
}

const NIL_UUID = "00000000-0000-0000-0000-000000000000";
const micros = (expr: SQL) => sql`(extract(epoch from ${expr}) * 1000000)::bigint::text`;
const at = (value: string) => sql`(timestamptz 'epoch' + ${value}::bigint * interval '1 microsecond')`;
const leaseFor = (ms: number) => sql`now() + ${ms} * interval '1 millisecond'`;
// Client sessions of this database, other than ours; other kinds of backend never insert events.
const otherClients = sql`pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
  and backend_type = 'client backend'`;

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
    update ${relayCursor} set claimed_until = ${leaseFor(opts.leaseMs)}
    where name = ${name} and (claimed_until is null or claimed_until < now())
    returning ${micros(sql`greatest(checked_until, 'epoch')`)} as at, checked_id::text as id,
      ${micros(sql`claimed_until`)} as lease,
      ${micros(sql`least(now() - ${opts.graceMs} * interval '1 millisecond', (select min(xact_start) from ${otherClients}))`)} as horizon,
      (current_setting('track_activities') = 'on'
        and not exists (select 1 from pg_stat_activity
          where datname = current_database() and query = '<insufficient privilege>')) as sighted,
      ${micros(sql`now()`)} as now`);
  const [row] = rowsOf<{ at: string; id: string; lease: string; horizon: string; sighted: boolean; now: string }>(
    result,
  );
  if (!row) return undefined;
  return {
    from: { at: row.at, id: row.id },
    horizon: row.horizon,
    lease: row.lease,
    sighted: row.sighted,
    lagMs: Math.max(0, (Number(row.now) - Number(row.horizon)) / 1000),
  };
}

/**
 * The next `received` rows after `from` and before `horizon`, oldest first: ids and queues only.
 * With `pending`, each row's queues leave out those whose delivery completed and those holding
 * a parked job (`routedJobParked`): it is an operator's to decide on, not the relay's to add again.
 */
export async function scanReceived(
  db: Db,
  opts: { from: RelayPosition; horizon: string; limit: number; pending?: boolean },
): Promise<(RelayPosition & { queues: string[] })[]> {
  const queues = opts.pending
    ? sql`array(select q from unnest(e.queues) q
        where not ${queueCompleted} and not ${routedJobParked("e.id", "q")})`
    : sql`e.queues`;
  const result = await db.execute(sql`
    select e.id::text as id, ${micros(sql`e.recorded_at`)} as at, ${queues} as queues from ${events} e
    where e.status = 'received' and (e.recorded_at, e.id) > (${at(opts.from.at)}, ${opts.from.id}::uuid)
      and e.recorded_at < ${at(opts.horizon)}
    order by e.recorded_at, e.id limit ${opts.limit}`);
  return rowsOf<RelayPosition & { queues: string[] }>(result);
}

/**
 * Moves the cursor and renews the lease; returns the new lease, or undefined when this pass no
 * longer holds it (it outlived the lease and another pass took over): the caller must stop.
 */
export async function advanceRelayCursor(
  db: Db,
  name: string,
  pass: { lease: string; leaseMs: number; to: RelayPosition },
): Promise<string | undefined> {
  const result = await db.execute(sql`
    update ${relayCursor} set checked_until = ${at(pass.to.at)}, checked_id = ${pass.to.id}::uuid,
      claimed_until = ${leaseFor(pass.leaseMs)}
    where name = ${name} and claimed_until = ${at(pass.lease)}
    returning ${micros(sql`claimed_until`)} as lease`);
  return rowsOf<{ lease: string }>(result)[0]?.lease;
}

/**
 * Ends a pass that still holds its lease and, when the pass reached it, moves the cursor to the
 * horizon; never backwards, should the database's clock have stepped back. `restart` instead sends
 * the cursor back to the beginning, for a scan that goes round and round.
 */
export async function releaseRelayPass(
  db: Db,
  name: string,
  pass: { lease: string; reached?: string; restart?: boolean },
): Promise<void> {
  const fenced = sql`where name = ${name} and claimed_until = ${at(pass.lease)}`;
  if (pass.restart) {
    await db.execute(
      sql`update ${relayCursor} set claimed_until = null, checked_until = '-infinity', checked_id = ${NIL_UUID}::uuid ${fenced}`,
    );
    return;
  }
  if (pass.reached === undefined) {
    await db.execute(sql`update ${relayCursor} set claimed_until = null ${fenced}`);
    return;
  }
  const ahead = sql`${at(pass.reached)} > checked_until`;
  await db.execute(sql`
    update ${relayCursor} set claimed_until = null,
      checked_id = case when ${ahead} then ${NIL_UUID}::uuid else checked_id end,
      checked_until = case when ${ahead} then ${at(pass.reached)} else checked_until end
    ${fenced}`);
}

export async function getEvents(db: Db, ids: readonly string[]): Promise<EventRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(events)
    .where(inArray(events.id, [...ids]));
}
