import { sql } from "drizzle-orm";
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

export type EventStatus = "received" | "enqueued" | "rejected" | "processed" | "failed";

/** Every verified request, recorded once per (source, source_event_id). */
export const events = pgTable(
  "events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    source: text("source").notNull(),
    sourceEventId: text("source_event_id").notNull(),
    type: text("type").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    payload: jsonb("payload"),
    /** Kept only for rejected requests, whose body may not be JSON at all. */
    rawBody: text("raw_body"),
    payloadHash: text("payload_hash").notNull(),
    status: text("status").$type<EventStatus>().notNull().default("received"),
    reason: text("reason"),
    /** Work queues the routing table chose at receipt; the relay enqueues to the same ones. */
    queues: text("queues").array().notNull().default(sql`'{}'::text[]`),
    attempts: integer("attempts").notNull().default(0),
    duplicates: integer("duplicates").notNull().default(0),
    requestId: text("request_id"),
    enqueuedAt: timestamp("enqueued_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("events_source_event_uq").on(t.source, t.sourceEventId),
    index("events_unenqueued_idx").on(t.receivedAt).where(sql`${t.status} = 'received'`),
    index("events_type_idx").on(t.type, t.receivedAt),
  ],
);

/** Idempotency ledger: a (consumer, event) pair that is `completed` is never run again. */
export const deliveries = pgTable(
  "deliveries",
  {
    consumer: text("consumer").notNull(),
    eventId: uuid("event_id")
      .notNull()
      .references(() => events.id),
    status: text("status").$type<"started" | "completed">().notNull().default("started"),
    attempts: integer("attempts").notNull().default(1),
    result: jsonb("result"),
    createdAt: createdAt(),
    completedAt: timestamp("completed_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.consumer, t.eventId] })],
);

export type FailureStatus = "open" | "retrying" | "resolved" | "discarded";

export const failures = pgTable(
  "failures",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    eventId: uuid("event_id").references(() => events.id),
    queue: text("queue").notNull(),
    jobName: text("job_name").notNull(),
    jobId: text("job_id").notNull(),
    reason: text("reason").notNull(),
    status: text("status").$type<FailureStatus>().notNull().default("open"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
    payload: jsonb("payload"),
    note: text("note"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
  },
  (t) => [
    index("failures_reason_status_idx").on(t.reason, t.status),
    uniqueIndex("failures_queue_job_uq").on(t.queue, t.jobId),
  ],
);

/** Switchyard's own record of identity and entitlement; the CRM never drives it. */
export const customers = pgTable("customers", {
  id: uuid("id").primaryKey().defaultRandom(),
  externalId: text("external_id").unique(),
  email: text("email").unique(),
  stripeCustomerId: text("stripe_customer_id").unique(),
  plan: text("plan"),
  subscriptionStatus: text("subscription_status"),
  entitled: boolean("entitled").notNull().default(false),
  currentPeriodEnd: timestamp("current_period_end", { withTimezone: true }),
  lastPaymentId: text("last_payment_id"),
  lastPaymentAmount: integer("last_payment_amount"),
  lastPaymentCurrency: text("last_payment_currency"),
  lastPaymentAt: timestamp("last_payment_at", { withTimezone: true }),
  /** Ordering guard: the provider time of the newest billing fact applied. */
  billingVersionAt: timestamp("billing_version_at", { withTimezone: true }),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const auditLog = pgTable("audit_log", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  actor: text("actor").notNull(),
  action: text("action").notNull(),
  target: text("target"),
  reason: text("reason"),
  details: jsonb("details"),
  createdAt: createdAt(),
});
