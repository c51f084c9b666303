import { asc, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "./client.ts";
import type { EventRow } from "./events-repo.ts";
import type { FailureRow } from "./failures-repo.ts";
import { auditLog, customers, customerTimeline, deliveries, events, failures } from "./schema.ts";

export type DeliveryRow = typeof deliveries.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;

export interface JourneyTimelineEntry {
  id: number;
  at: Date;
  kind: string;
  summary: string;
  customerId: string;
  customerEmail: string | null;
}

/** What Postgres knows of one event: the row, each consumer's delivery, its failures, what it wrote. */
export interface EventJourneyRecord {
  event: EventRow;
  /** One per consumer (`<queue>/<job name>`) that has run it, follow-up jobs included. */
  deliveries: DeliveryRow[];
  failures: FailureRow[];
  timeline: JourneyTimelineEntry[];
  /** Operators' actions on the event and on its failures, newest first. */
  audit: AuditRow[];
}

export async function eventJourney(db: Db, id: string): Promise<EventJourneyRecord | undefined> {
  const [event] = await db.select().from(events).where(eq(events.id, id));
  if (!event) return undefined;
  const [delivered, failed, timeline] = await Promise.all([
    db.select().from(deliveries).where(eq(deliveries.eventId, id)).orderBy(asc(deliveries.createdAt)),
    db.select().from(failures).where(eq(failures.eventId, id)).orderBy(desc(failures.updatedAt), desc(failures.id)),
    db
      .select({
        id: customerTimeline.id,
        at: customerTimeline.at,
        kind: customerTimeline.kind,
        summary: customerTimeline.summary,
        customerId: customerTimeline.customerId,
        customerEmail: customers.email,
      })
      .from(customerTimeline)
      .innerJoin(customers, eq(customers.id, customerTimeline.customerId))
      .where(eq(customerTimeline.eventId, id))
      .orderBy(asc(customerTimeline.at), asc(customerTimeline.id))
      .limit(200),
  ]);
  const targets = [id, ...failed.map((f) => f.id)];
  const audit = await db
    .select()
    .from(auditLog)
    .where(inArray(auditLog.target, targets))
    .orderBy(desc(auditLog.id))
    .limit(100);
  return { event, deliveries: delivered, failures: failed, timeline, audit };
}
