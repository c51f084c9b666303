import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { backfilledEvents, events, reconcileCursor } from "./schema.ts";

export type ReconcileCursor = typeof reconcileCursor.$inferSelect;
export type ReconcilePhase = "failed" | "all";

const leaseFor = (ms: number) => sql`now() + ${ms} * interval '1 millisecond'`;
const held = (source: string, owner: string) =>
  and(eq(reconcileCursor.source, source), eq(reconcileCursor.leaseOwner, owner));

/**
 * Takes the source's cursor for `leaseMs` (creating it on first use), or returns undefined while
 * another process holds an unexpired lease. The owner's own lease is taken again.
 */
export async function claimReconcile(
  db: Db,
  source: string,
  owner: string,
  leaseMs: number,
): Promise<ReconcileCursor | undefined> {
  await db.insert(reconcileCursor).values({ source }).onConflictDoNothing();
  const [row] = await db
    .update(reconcileCursor)
    .set({ leaseOwner: owner, leaseUntil: leaseFor(leaseMs), updatedAt: sql`now()` })
    .where(
      and(
        eq(reconcileCursor.source, source),
        or(
          isNull(reconcileCursor.leaseUntil),
          lt(reconcileCursor.leaseUntil, sql`now()`),
          eq(reconcileCursor.leaseOwner, owner),
        ),
      ),
    )
    .returning();
  return row;
}

/** Opens a run over [from, to] on a cursor this owner holds; false when the lease was lost. */
export async function startReconcileRun(
  db: Db,
  source: string,
  owner: string,
  run: { runId: string; from: Date; to: Date; phase: ReconcilePhase },
): Promise<boolean> {
  const rows = await db
    .update(reconcileCursor)
    .set({
      runId: run.runId,
      runFrom: run.from,
      runTo: run.to,
      runPhase: run.phase,
      runStartingAfter: null,
      runStartedAt: sql`now()`,
      runSeen: 0,
      runBackfilled: 0,
      runOldestMissed: null,
      lastError: null,
      updatedAt: sql`now()`,
    })
    .where(held(source, owner))
    .returning({ source: reconcileCursor.source });
  return rows.length === 1;
}

/**
 * Moves the run past one page (its counts added, the lease renewed), fenced on the lease: false
 * when another process took the cursor, and nothing is written.
 */
export async function advanceReconcileRun(
  db: Db,
  source: string,
  owner: string,
  page: {
    phase: ReconcilePhase;
    startingAfter: string | null;
    seen: number;
    backfilled: number;
    oldestMissed?: Date | undefined;
    leaseMs: number;
  },
): Promise<boolean> {
  // As text: postgres.js takes no Date inside a raw fragment.
  const missed = page.oldestMissed?.toISOString();
  const oldest = missed
    ? sql`least(coalesce(${reconcileCursor.runOldestMissed}, ${missed}::timestamptz), ${missed}::timestamptz)`
    : sql`${reconcileCursor.runOldestMissed}`;
  const rows = await db
    .update(reconcileCursor)
    .set({
      runPhase: page.phase,
      runStartingAfter: page.startingAfter,
      runSeen: sql`${reconcileCursor.runSeen} + ${page.seen}`,
      runBackfilled: sql`${reconcileCursor.runBackfilled} + ${page.backfilled}`,
      runOldestMissed: oldest,
      leaseUntil: leaseFor(page.leaseMs),
      updatedAt: sql`now()`,
    })
    .where(held(source, owner))
    .returning({ source: reconcileCursor.source });
  return rows.length === 1;
}

/**
 * Closes the run: its totals become the last run's, `reconciled_until` moves to the run's end when
 * the run's window reached back to it (a manual `--since` that starts later leaves the gap before
 * it for the scheduled runs), and the lease is released. Returns the closed run's cursor.
 */
export async function completeReconcileRun(
  db: Db,
  source: string,
  owner: string,
): Promise<ReconcileCursor | undefined> {
  const c = reconcileCursor;
  const [row] = await db
    .update(c)
    .set({
      reconciledUntil: sql`case when ${c.reconciledUntil} is null or ${c.runFrom} <= ${c.reconciledUntil}
        then greatest(coalesce(${c.reconciledUntil}, ${c.runTo}), ${c.runTo}) else ${c.reconciledUntil} end`,
      lastRunAt: sql`now()`,
      lastRunSeen: sql`${c.runSeen}`,
      lastRunBackfilled: sql`${c.runBackfilled}`,
      runId: null,
      runPhase: null,
      runStartingAfter: null,
      leaseOwner: null,
      leaseUntil: null,
      updatedAt: sql`now()`,
    })
    .where(held(source, owner))
    .returning();
  return row;
}

/** Gives the lease back, keeping the run where it stopped (the next run resumes it). */
export async function releaseReconcile(db: Db, source: string, owner: string, error?: string): Promise<void> {
  await db
    .update(reconcileCursor)
    .set({
      leaseOwner: null,
      leaseUntil: null,
      ...(error === undefined ? {} : { lastError: error.slice(0, 300) }),
      updatedAt: sql`now()`,
    })
    .where(held(source, owner));
}

export async function getReconcileCursor(db: Db, source: string): Promise<ReconcileCursor | undefined> {
  const [row] = await db.select().from(reconcileCursor).where(eq(reconcileCursor.source, source));
  return row;
}

/**
 * Of these source event ids, the ones Switchyard has recorded: their row's id and status, and the
 * run that backfilled them, if one did.
 */
export async function recordedAmong(
  db: Db,
  source: string,
  ids: readonly string[],
): Promise<Map<string, { id: string; status: string; backfilledBy: string | null }>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({
      sourceEventId: events.sourceEventId,
      id: events.id,
      status: events.status,
      backfilledBy: backfilledEvents.runId,
    })
    .from(events)
    .leftJoin(
      backfilledEvents,
      and(eq(backfilledEvents.source, events.source), eq(backfilledEvents.sourceEventId, events.sourceEventId)),
    )
    .where(and(eq(events.source, source), inArray(events.sourceEventId, [...ids])));
  return new Map(rows.map((r) => [r.sourceEventId, { id: r.id, status: r.status, backfilledBy: r.backfilledBy }]));
}

/** Marks events as backfilled before they are recorded; a mark already there is kept. */
export async function markBackfilled(
  db: Db,
  marks: readonly { source: string; sourceEventId: string; runId: string; providerCreated: Date }[],
): Promise<void> {
  if (marks.length === 0) return;
  await db
    .insert(backfilledEvents)
    .values([...marks])
    .onConflictDoNothing();
}

/** Links marks to the rows recorded for them; drops the marks of events a webhook recorded first. */
export async function settleBackfillMarks(
  db: Db,
  source: string,
  recorded: readonly { sourceEventId: string; eventId: string }[],
  beatenBy: readonly string[],
): Promise<void> {
  if (recorded.length > 0) {
    // One statement for the page: the pairs travel as one JSON parameter.
    await db.execute(sql`
      update ${backfilledEvents} b set event_id = (r->>'eventId')::uuid
      from jsonb_array_elements(${JSON.stringify(recorded)}::jsonb) r
      where b.source = ${source} and b.source_event_id = r->>'sourceEventId'`);
  }
  if (beatenBy.length > 0) {
    await db
      .delete(backfilledEvents)
      .where(and(eq(backfilledEvents.source, source), inArray(backfilledEvents.sourceEventId, [...beatenBy])));
  }
}
