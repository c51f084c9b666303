import { and, desc, eq, gte, lt, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { type EventRow, eventKey } from "./events-repo.ts";
import { cappedCount, type Page } from "./failures-page-repo.ts";
import { events } from "./schema.ts";

export interface EventFilter {
  source?: string | undefined;
  type?: string | undefined;
  status?: string | undefined;
  /** Received at or after. */
  from?: Date | undefined;
  /** Received at or before. */
  to?: Date | undefined;
}

/** A row of the events list: everything but the payload and raw body, which only the event page shows. */
export type EventSummary = Omit<EventRow, "payload" | "rawBody">;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const summary = {
  id: events.id,
  source: events.source,
  sourceEventId: events.sourceEventId,
  type: events.type,
  receivedAt: events.receivedAt,
  recordedAt: events.recordedAt,
  payloadHash: events.payloadHash,
  status: events.status,
  reason: events.reason,
  queues: events.queues,
  attempts: events.attempts,
  duplicates: events.duplicates,
  requestId: events.requestId,
  rejected: events.rejected,
};

function conditions(f: EventFilter): SQL | undefined {
  const where: SQL[] = [];
  if (f.source) where.push(eq(events.source, f.source));
  if (f.type) where.push(eq(events.type, f.type));
  if (f.status) where.push(eq(events.status, f.status as EventRow["status"]));
  if (f.from) where.push(gte(events.receivedAt, f.from));
  if (f.to) where.push(lte(events.receivedAt, f.to));
  return where.length ? and(...where) : undefined;
}

/**
 * Recorded events newest first, keyset-paged on the id: ids are UUIDv7, in the order they were
 * recorded, so the primary key pages them without an index of its own on the busiest table.
 * The cursor is the last id shown.
 */
export async function pageEvents(
  db: Db,
  f: EventFilter,
  page: { after?: string | undefined; limit: number },
): Promise<Page<EventSummary>> {
  if (page.after && !UUID.test(page.after)) throw new RangeError("not a cursor of this list");
  const filter = conditions(f);
  const limit = Math.min(Math.max(page.limit, 1), 1_000);
  const [rows, count] = await Promise.all([
    db
      .select(summary)
      .from(events)
      .where(page.after ? and(filter, lt(events.id, page.after)) : filter)
      .orderBy(desc(events.id))
      .limit(limit + 1),
    cappedCount(db, sql`${events}`, filter),
  ]);
  const shown = rows.slice(0, limit);
  return { rows: shown, next: rows.length > limit ? (shown.at(-1)?.id ?? null) : null, ...count };
}

/**
 * Events whose provider id (Stripe's evt_…, a HubSpot eventId, a Zendesk id…) is `sourceEventId`,
 * whatever their source. The unique index leads with the source, so the few distinct sources are
 * walked through that index first (a loose index scan), then each (source, id) is one probe.
 */
export async function findEventsBySourceId(db: Db, sourceEventId: string): Promise<EventSummary[]> {
  const sources = sql`with recursive s(source) as (
      (select source from ${events} order by source limit 1)
      union all
      select (select e.source from ${events} e where e.source > s.source order by e.source limit 1)
      from s where s.source is not null)
    select source from s where source is not null`;
  return db
    .select(summary)
    .from(events)
    .where(and(sql`${events.source} in (${sources})`, eq(events.sourceEventId, eventKey(sourceEventId))))
    .orderBy(desc(events.id))
    .limit(20);
}
