import { asc, type Db, eq, schema, sql, type TimelineKind } from "@switchyard/db";
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
  // Plain SQL: workers write a line or two per job, and drizzle's insert builder cost several
  // times what the statement itself did. Text casts keep the values as sent on either driver.
  const details = entry.details === undefined || entry.details === null ? null : JSON.stringify(entry.details);
  await db.execute(sql`
    insert into ${schema.customerTimeline} (customer_id, at, kind, summary, event_id, details, dedupe_key)
    values (${entry.customerId}::text::uuid, ${(entry.at ?? new Date()).toISOString()}::text::timestamptz,
      ${entry.kind}, ${entry.summary}, ${entry.eventId ?? null}::text::uuid, ${details}::text::jsonb,
      ${entry.dedupeKey})
    on conflict (dedupe_key) do nothing`);
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
