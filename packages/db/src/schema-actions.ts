import { index, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/**
 * What the gateway answered: `executed` (low risk, passed the schema and the policy, runs on the
 * actions queue), `queued_for_review` (a person decides) or `rejected` (with a reason code).
 */
export type ActionDecision = "executed" | "queued_for_review" | "rejected";

/**
 * Where the action stands now: `awaiting_review` until a person decides, `approved` once it may
 * run (automatically or by approval) until the worker has `executed` it, `dismissed` when a
 * reviewer rejected it; `rejected` by the policy from the start.
 */
export type ActionStatus = "rejected" | "awaiting_review" | "approved" | "executed" | "dismissed";

/**
 * Every action proposed to the gateway, once per (source, Idempotency-Key). The foreign keys to
 * customers and events are in the migration; declared here they would make this file and
 * schema.ts import each other.
 */
export const actions = pgTable(
  "actions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** Who called the gateway: `app` (POST /v1/actions) or a worker (`ai-triage`). */
    source: text("source").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    payloadHash: text("payload_hash").notNull(),
    type: text("type").notNull(),
    /** The customer as the proposal named it: the app's user id or Switchyard's customer id. */
    customerRef: text("customer_ref").notNull(),
    customerId: uuid("customer_id"),
    params: jsonb("params").notNull(),
    reason: text("reason"),
    proposedBy: text("proposed_by").$type<"model" | "user" | "rule">().notNull(),
    risk: text("risk").$type<"low" | "privileged">().notNull(),
    decision: text("decision").$type<ActionDecision>().notNull(),
    /** A reason code for `rejected`, or why a person must decide for `queued_for_review`. */
    decisionCode: text("decision_code"),
    decisionReason: text("decision_reason"),
    status: text("status").$type<ActionStatus>().notNull(),
    /** The `switchyard.action.execute` event that carries the run on the actions queue. */
    executeEventId: uuid("execute_event_id"),
    result: jsonb("result"),
    error: text("error"),
    executedAt: timestamp("executed_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("actions_source_key_uq").on(t.source, t.idempotencyKey),
    index("actions_customer_idx").on(t.customerId, t.createdAt),
  ],
);
