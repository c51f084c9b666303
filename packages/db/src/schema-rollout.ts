import { sql } from "drizzle-orm";
import { bigserial, index, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/** The context note each ticket was last given, keyed by its facts, while the ticket is open. */
export const ticketContexts = pgTable(
  "ticket_contexts",
  {
    desk: text("desk").notNull(),
    ticketRef: text("ticket_ref").notNull(),
    // References customers(id) in the migration; not here, so this file imports no other schema file.
    customerId: uuid("customer_id"),
    factsKey: text("facts_key"),
    status: text("status").$type<"open" | "closed">().notNull().default("open"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "ticket_contexts_pk", columns: [t.desk, t.ticketRef] }),
    index("ticket_contexts_open_customer_idx").on(t.customerId).where(sql`${t.status} = 'open'`),
  ],
);

/** A provider write a queue in shadow mode recorded instead of making ("would have written"). */
export const shadowWrites = pgTable(
  "shadow_writes",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    queue: text("queue").notNull(),
    source: text("source").notNull(),
    provider: text("provider").notNull(),
    operation: text("operation").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    eventId: uuid("event_id"),
    customerId: uuid("customer_id"),
    target: text("target"),
    request: jsonb("request").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("shadow_writes_queue_key_uq").on(t.queue, t.provider, t.operation, t.idempotencyKey),
    index("shadow_writes_queue_created_idx").on(t.queue, t.createdAt),
  ],
);
