import type { ReasonCode } from "@switchyard/events";
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

/**
 * `received` until every routed worker finished it (`processed`). Whether its jobs reached Redis
 * is not written per row: the job ids in Redis say so, and the relay checks them once for every
 * row still `received` after the grace period, then again, round and round, for rows still
 * `received` 15 minutes on. Once the only jobs left are parked as failures, the event is
 * `failed` (ledger.ts), and `processed` if a re-driven one completes. `enqueued` is only found on rows written before
 * migration 0001 (which marked them so): workers still settle them, the relay leaves them alone.
 */
export type EventStatus = "received" | "enqueued" | "rejected" | "processed" | "failed";

/** Every verified request, recorded once per (source, source_event_id), rejected ones apart. */
export const events = pgTable(
  "events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    source: text("source").notNull(),
    sourceEventId: text("source_event_id").notNull(),
    type: text("type").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    /** When the row was written; the relay's grace period counts from here, not from arrival. */
    recordedAt: timestamp("recorded_at", { withTimezone: true }).notNull().defaultNow(),
    payload: jsonb("payload"),
    /** Kept only for rejected requests, whose body may not be JSON at all. */
    rawBody: text("raw_body"),
    payloadHash: text("payload_hash").notNull(),
    status: text("status").$type<EventStatus>().notNull().default("received"),
    reason: text("reason"),
    /** Work queues the routing table chose at receipt; the relay enqueues to the same ones. */
    queues: text("queues").array().notNull().default(sql`'{}'::text[]`),
    /** Enqueues that failed (Redis away); successful ones are not counted (nothing is written then). */
    attempts: integer("attempts").notNull().default(0),
    duplicates: integer("duplicates").notNull().default(0),
    requestId: text("request_id"),
    /**
     * A rejected delivery's key space: its id is unique among rejected ones only, so no caller's key
     * for a valid event can collide with what a malformed body left (migration 0011).
     */
    rejected: boolean("rejected").notNull().default(false),
  },
  (t) => [
    uniqueIndex("events_source_key_uq").on(t.source, t.sourceEventId, t.rejected),
    index("events_app_user_idx")
      .on(sql`(${t.payload} -> 'data' ->> 'userId')`, t.receivedAt)
      .where(sql`${t.source} = 'app'`),
    index("events_received_idx").on(t.recordedAt, t.id).where(sql`${t.status} = 'received'`),
    index("events_type_idx").on(t.type, t.receivedAt),
  ],
);

/**
 * Webhook deliveries ingest refused before writing anything (signature or timestamp refused,
 * unknown or unconfigured source, body too large), summed per minute, source and reason, so the
 * webhook failure KPI sees what leaves no event row. Each ingest process adds its own counts.
 */
export const webhookRefusals = pgTable(
  "webhook_refusals",
  {
    minute: timestamp("minute", { withTimezone: true }).notNull(),
    /** A configured source's name, or `unknown` (a made-up path must not add rows of its own). */
    source: text("source").notNull(),
    /** The answer's error code: auth_failed, not_found or payload_too_large. */
    reason: text("reason").notNull(),
    count: integer("count").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.minute, t.source, t.reason] })],
);

/**
 * How far the relay has checked: every `received` row at or before (checked_until, checked_id) had
 * its jobs in Redis when the relay looked. One row per relay scan; claimed_until is a pass's lease.
 */
export const relayCursor = pgTable("relay_cursor", {
  name: text("name").primaryKey(),
  checkedUntil: timestamp("checked_until", { withTimezone: true }).notNull().default(sql`'-infinity'`),
  checkedId: uuid("checked_id").notNull().default(sql`'00000000-0000-0000-0000-000000000000'`),
  claimedUntil: timestamp("claimed_until", { withTimezone: true }),
});

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
    reason: text("reason").$type<ReasonCode>().notNull(),
    status: text("status").$type<FailureStatus>().notNull().default("open"),
    attempts: integer("attempts").notNull().default(0),
    /** How many times this job has landed in a failure queue (a re-drive can fail again). */
    occurrences: integer("occurrences").notNull().default(1),
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
    // An event's failures: the reason a failed event is given (ledger.ts), and the search by event.
    index("failures_event_idx").on(t.eventId),
    // What still waits on a person or a re-drive, by event (GET /v1/customers/{userId}/status).
    index("failures_unsettled_idx").on(t.eventId).where(sql`${t.status} in ('open', 'retrying')`),
  ],
);

/**
 * Switchyard's own record of identity and entitlement; the CRM never drives it. Billing facts are
 * merged as maxima over (provider time, rank), so the final state does not depend on the order
 * events arrive in.
 */
export const customers = pgTable("customers", {
  id: uuid("id").primaryKey().defaultRandom(),
  externalId: text("external_id").unique(),
  email: text("email").unique(),
  name: text("name"),
  stripeCustomerId: text("stripe_customer_id").unique(),
  stripeSubscriptionId: text("stripe_subscription_id"),
  plan: text("plan"),
  subscriptionStatus: text("subscription_status"),
  /** Provider time and rank of the subscription fact that set the status: the ordering guard. */
  statusVersionAt: timestamp("status_version_at", { withTimezone: true }),
  statusRank: integer("status_rank").notNull().default(0),
  planVersionAt: timestamp("plan_version_at", { withTimezone: true }),
  entitled: boolean("entitled").notNull().default(false),
  currentPeriodEnd: timestamp("current_period_end", { withTimezone: true }),
  lastPaymentId: text("last_payment_id"),
  /** The charge or payment intent behind the last paid invoice: what support asks for. */
  lastPaymentTransactionId: text("last_payment_transaction_id"),
  lastPaymentAmount: integer("last_payment_amount"),
  lastPaymentCurrency: text("last_payment_currency"),
  lastPaymentAt: timestamp("last_payment_at", { withTimezone: true }),
  lastPaymentFailedAt: timestamp("last_payment_failed_at", { withTimezone: true }),
  lastRefundAt: timestamp("last_refund_at", { withTimezone: true }),
  /** Set by an operator's override; billing facts do not clear it. */
  statusOverride: text("status_override"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export type TimelineKind = "event" | "state_change" | "crm_sync" | "support_note" | "triage" | "review" | "override";

/** One customer's story across billing, CRM and support; `dedupe_key` makes every write idempotent. */
export const customerTimeline = pgTable(
  "customer_timeline",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    customerId: uuid("customer_id")
      .notNull()
      .references(() => customers.id),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    kind: text("kind").$type<TimelineKind>().notNull(),
    summary: text("summary").notNull(),
    eventId: uuid("event_id"),
    details: jsonb("details"),
    dedupeKey: text("dedupe_key").notNull(),
  },
  (t) => [
    uniqueIndex("customer_timeline_dedupe_uq").on(t.dedupeKey),
    index("customer_timeline_customer_idx").on(t.customerId, t.at),
  ],
);

/** Local CRM adapter's store: exactly one contact per customer. */
export const crmContacts = pgTable("crm_contacts", {
  id: uuid("id").primaryKey().defaultRandom(),
  customerId: uuid("customer_id")
    .notNull()
    .unique()
    .references(() => customers.id),
  externalId: text("external_id").unique(),
  email: text("email").unique(),
  lifecycleStage: text("lifecycle_stage").notNull(),
  plan: text("plan"),
  writes: integer("writes").notNull().default(1),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * What Switchyard wrote to an external CRM (HubSpot): every contact id it was given per customer.
 * The CRM is not read back, so this mirror is how duplicates there are measured: a customer with a
 * second contact id has a duplicate record.
 */
export const crmContactMirror = pgTable(
  "crm_contact_mirror",
  {
    provider: text("provider").notNull(),
    customerId: uuid("customer_id")
      .notNull()
      .references(() => customers.id),
    contactId: text("contact_id").notNull(),
    email: text("email"),
    writes: integer("writes").notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.customerId, t.contactId] })],
);

/** Local support desk adapter's tickets. */
export const supportTickets = pgTable("support_tickets", {
  id: uuid("id").primaryKey().defaultRandom(),
  externalId: text("external_id").notNull().unique(),
  customerId: uuid("customer_id").references(() => customers.id),
  requesterEmail: text("requester_email"),
  subject: text("subject"),
  status: text("status").notNull().default("open"),
  priority: text("priority").notNull().default("normal"),
  tags: text("tags").array().notNull().default(sql`'{}'::text[]`),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Internal notes; one per (ticket, context) so a retry never adds a second. */
export const supportNotes = pgTable(
  "support_notes",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    ticketId: uuid("ticket_id")
      .notNull()
      .references(() => supportTickets.id),
    idempotencyKey: text("idempotency_key").notNull(),
    kind: text("kind").$type<"context" | "draft">().notNull(),
    body: text("body").notNull(),
    public: boolean("public").notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("support_notes_ticket_key_uq").on(t.ticketId, t.idempotencyKey)],
);

/**
 * Notes written to an external desk: the (ticket, idempotency key) row is recorded before the
 * call, so a retry after a crash looks for its note instead of posting a second one.
 */
export const externalNotes = pgTable(
  "external_notes",
  {
    provider: text("provider").notNull(),
    ticketRef: text("ticket_ref").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    /** Which note it is; with `status` the mirror the missing-context KPI reads for that desk. */
    kind: text("kind").$type<"context" | "draft">(),
    remoteId: text("remote_id"),
    status: text("status").$type<"pending" | "written">().notNull().default("pending"),
    createdAt: createdAt(),
    writtenAt: timestamp("written_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.provider, t.ticketRef, t.idempotencyKey] })],
);

/** What ai-triage concluded for a support message; degraded when the fallback answered. */
export const triageResults = pgTable("triage_results", {
  eventId: uuid("event_id")
    .primaryKey()
    .references(() => events.id),
  ticketExternalId: text("ticket_external_id"),
  customerId: uuid("customer_id").references(() => customers.id),
  classifier: text("classifier").notNull(),
  degraded: boolean("degraded").notNull().default(false),
  /** Why the model was not used, when degraded (ai_timeout, ai_invalid_output, ...). */
  degradedReason: text("degraded_reason"),
  model: text("model"),
  promptTokens: integer("prompt_tokens"),
  completionTokens: integer("completion_tokens"),
  intent: text("intent").notNull(),
  urgency: text("urgency").notNull(),
  sentiment: text("sentiment").notNull(),
  summary: text("summary").notNull(),
  draftReply: text("draft_reply").notNull(),
  actions: jsonb("actions").notNull(),
  createdAt: createdAt(),
});

/**
 * Requests that a person must decide (refunds, plan changes, deletions, escalations): the review
 * inbox. An item for a gateway action (`action_id`, its FK in migration 0009) is approved (`done`)
 * or rejected (`dismissed`) with the decider's name and note; one from a message has no action.
 */
export const reviewItems = pgTable(
  "review_items",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    eventId: uuid("event_id").references(() => events.id),
    customerId: uuid("customer_id").references(() => customers.id),
    ticketExternalId: text("ticket_external_id"),
    kind: text("kind").notNull(),
    reason: text("reason").notNull(),
    status: text("status").$type<"open" | "done" | "dismissed">().notNull().default("open"),
    actionId: uuid("action_id"),
    decision: text("decision").$type<"approved" | "rejected">(),
    decidedBy: text("decided_by"),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    note: text("note"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("review_items_event_kind_uq").on(t.eventId, t.kind),
    uniqueIndex("review_items_action_uq").on(t.actionId),
    index("review_items_status_idx").on(t.status, t.createdAt),
  ],
);

export const auditLog = pgTable("audit_log", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  actor: text("actor").notNull(),
  action: text("action").notNull(),
  target: text("target"),
  reason: text("reason"),
  details: jsonb("details"),
  createdAt: createdAt(),
});
export * from "./schema-accounts.ts";
export * from "./schema-actions.ts";
export * from "./schema-orders.ts";
export * from "./schema-reconcile.ts";
export * from "./schema-rollout.ts";
