import { createHash } from "node:crypto";
import { and, asc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { events } from "./schema.ts";

export type EventRow = typeof events.$inferSelect;

export interface NewEvent {
  source: string;
  sourceEventId: string;
  type: string;
  payloadHash: string;
  payload?: unknown;
  rawBody?: string;
  status: "received" | "rejected" | "processed";
  reason?: string;
  queues: readonly string[];
  requestId?: string;
  receivedAt: Date;
}

export type RecordResult = { duplicate: false; event: EventRow } | { duplicate: true; event: EventRow };

/** Ids longer than this are stored by their hash: still unique, and within the index's row limit. */
const MAX_KEY = 200;
export const eventKey = (id: string) =>
  id.length <= MAX_KEY ? id : `sha256-${createHash("sha256").update(id).digest("hex")}`;

/** Inserts once per (source, source_event_id); a repeat is counted on the original row instead. */
export async function recordEvent(db: Db, raw: NewEvent): Promise<RecordResult> {
  const input = { ...raw, sourceEventId: eventKey(raw.sourceEventId) };
  const [inserted] = await db
    .insert(events)
    .values({
      source: input.source,
      sourceEventId: input.sourceEventId,
      type: input.type,
      payload: input.payload ?? null,
      rawBody: input.rawBody ?? null,
      payloadHash: input.payloadHash,
      status: input.status,
      reason: input.reason ?? null,
      queues: [...input.queues],
      requestId: input.requestId ?? null,
      receivedAt: input.receivedAt,
    })
    .onConflictDoNothing({ target: [events.source, events.sourceEventId] })
    .returning();
  if (inserted) return { duplicate: false, event: inserted };
  const [original] = await db
    .update(events)
    .set({ duplicates: sql`${events.duplicates} + 1` })
    .where(and(eq(events.source, input.source), eq(events.sourceEventId, input.sourceEventId)))
    .returning();
  if (!original) throw new Error(`event ${input.source}/${input.sourceEventId} conflicted but cannot be read`);
  return { duplicate: true, event: original };
}

export async function markEnqueued(db: Db, id: string): Promise<void> {
  await db
    .update(events)
    .set({ status: "enqueued", enqueuedAt: new Date(), attempts: sql`${events.attempts} + 1` })
    .where(and(eq(events.id, id), eq(events.status, "received")));
}

export async function noteEnqueueFailure(db: Db, id: string): Promise<void> {
  await db
    .update(events)
    .set({ attempts: sql`${events.attempts} + 1` })
    .where(eq(events.id, id));
}

export async function getEvent(db: Db, id: string): Promise<EventRow | undefined> {
  const [row] = await db.select().from(events).where(eq(events.id, id));
  return row;
}

/**
 * Claims up to `limit` rows recorded before `before` but never enqueued, for `leaseMs`. The claim is
 * one short statement (SKIP LOCKED, so relays share a backlog without overlap); the caller then
 * enqueues outside any transaction. A relay that dies leaves rows that others take when the lease ends.
 */
export async function claimUnenqueued(
  db: Db,
  opts: { before: Date; limit: number; leaseMs: number },
): Promise<EventRow[]> {
  const until = new Date(Date.now() + opts.leaseMs);
  const now = new Date();
  const candidates = db
    .select({ id: events.id })
    .from(events)
    .where(
      and(
        eq(events.status, "received"),
        lt(events.recordedAt, opts.before),
        or(isNull(events.relayClaimedUntil), lt(events.relayClaimedUntil, now)),
      ),
    )
    .orderBy(asc(events.recordedAt))
    .limit(opts.limit)
    .for("update", { skipLocked: true });
  const rows = await db
    .update(events)
    .set({ relayClaimedUntil: until })
    .where(inArray(events.id, candidates))
    .returning();
  return rows.sort((a, b) => a.recordedAt.getTime() - b.recordedAt.getTime());
}

/** Gives claimed rows back at once (a pass that stopped early), so the next pass may take them. */
export async function releaseClaims(db: Db, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.update(events).set({ relayClaimedUntil: null }).where(inArray(events.id, ids));
}
