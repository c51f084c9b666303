import { and, type Db, eq, schema, sql } from "@switchyard/db";

export interface TrackedTicket {
  ticketRef: string;
  factsKey: string | null;
}

/** Remembers a ticket and its customer before its first note, so a change meanwhile finds it. */
export async function trackTicket(db: Db, desk: string, ticketRef: string, customerId: string | null): Promise<void> {
  const { ticketContexts } = schema;
  await db
    .insert(ticketContexts)
    .values({ desk, ticketRef, customerId })
    .onConflictDoUpdate({
      target: [ticketContexts.desk, ticketContexts.ticketRef],
      set: { customerId: sql`coalesce(excluded.customer_id, ${ticketContexts.customerId})`, updatedAt: new Date() },
    });
}

export async function setFactsKey(db: Db, desk: string, ticketRef: string, factsKey: string): Promise<void> {
  const { ticketContexts } = schema;
  await db
    .update(ticketContexts)
    .set({ factsKey, updatedAt: new Date() })
    .where(and(eq(ticketContexts.desk, desk), eq(ticketContexts.ticketRef, ticketRef)));
}

export async function closeTicket(db: Db, desk: string, ticketRef: string): Promise<void> {
  const { ticketContexts } = schema;
  await db
    .update(ticketContexts)
    .set({ status: "closed", updatedAt: new Date() })
    .where(and(eq(ticketContexts.desk, desk), eq(ticketContexts.ticketRef, ticketRef)));
}

/** The customer's tickets on this desk still taken to be open. */
export async function openTicketsOf(db: Db, desk: string, customerId: string): Promise<TrackedTicket[]> {
  const { ticketContexts } = schema;
  return db
    .select({ ticketRef: ticketContexts.ticketRef, factsKey: ticketContexts.factsKey })
    .from(ticketContexts)
    .where(
      and(eq(ticketContexts.customerId, customerId), eq(ticketContexts.status, "open"), eq(ticketContexts.desk, desk)),
    );
}
