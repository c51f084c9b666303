import { asc, type Db, eq, schema, type TimelineKind } from "@switchyard/db";
import { type Customer, findCustomer } from "./customers.ts";

export interface TimelineEntry {
  customerId: string;
  kind: TimelineKind;
  summary: string;
  eventId?: string | null;
  at?: Date;
  details?: unknown;
  /** Same key, same entry: retries and re-drives never add a second line. */
  dedupeKey: string;
}

export async function addTimeline(db: Db, entry: TimelineEntry): Promise<void> {
  await db
    .insert(schema.customerTimeline)
    .values({
      customerId: entry.customerId,
      kind: entry.kind,
      summary: entry.summary,
      eventId: entry.eventId ?? null,
      at: entry.at ?? new Date(),
      details: entry.details ?? null,
      dedupeKey: entry.dedupeKey,
    })
    .onConflictDoNothing({ target: schema.customerTimeline.dedupeKey });
}

export interface CustomerStory {
  customer: Customer;
  entries: (typeof schema.customerTimeline.$inferSelect)[];
}

/** Everything that happened to one customer, oldest first; by id, email or app user id. */
export async function customerTimeline(
  db: Db,
  by: { id?: string; email?: string; externalId?: string },
): Promise<CustomerStory | undefined> {
  const customer = await findCustomer(db, by);
  if (!customer) return undefined;
  const { customerTimeline: t } = schema;
  const entries = await db.select().from(t).where(eq(t.customerId, customer.id)).orderBy(asc(t.at), asc(t.id));
  return { customer, entries };
}
