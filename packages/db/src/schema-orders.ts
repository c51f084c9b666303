import { sql } from "drizzle-orm";
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";

// Foreign keys (to customers and orders) are in migration 0010; naming `customers` here would make
// schema.ts, which re-exports this file, an import cycle.
const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

export type OrderState =
  | "pending"
  | "paid"
  | "fulfilled"
  | "payment_failed"
  | "canceled"
  | "refunded"
  | "partially_refunded"
  | "disputed"
  | "dispute_won"
  | "dispute_lost"
  | "needs_review";

/**
 * One row per order, owned by Switchyard like `customers`. Each id an event may name it by is
 * unique, so every event reaching the same order finds the same row. `state` is derived from the
 * order's facts (`order_facts`) by packages/domain's state machine, never set on its own.
 */
export const orders = pgTable(
  "orders",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    /** The app's order id (`metadata.order_id` on Stripe's objects, `orderId` in order.created). */
    appOrderId: text("app_order_id"),
    checkoutSessionId: text("checkout_session_id"),
    paymentIntentId: text("payment_intent_id"),
    chargeId: text("charge_id"),
    buyerCustomerId: uuid("buyer_customer_id"),
    sellerCustomerId: uuid("seller_customer_id"),
    sellerAccountId: text("seller_account_id"),
    amount: integer("amount"),
    currency: text("currency"),
    applicationFee: integer("application_fee"),
    amountRefunded: integer("amount_refunded").notNull().default(0),
    items: jsonb("items"),
    refundIds: text("refund_ids").array().notNull().default(sql`'{}'::text[]`),
    disputeId: text("dispute_id"),
    state: text("state").$type<OrderState>().notNull().default("pending"),
    /** Stripe time of the fact that set the state. */
    stateAt: timestamp("state_at", { withTimezone: true }),
    /** Why the state is `needs_review`: the transition that was not applied. */
    reviewReason: text("review_reason"),
    paidAt: timestamp("paid_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("orders_app_order_uq").on(t.appOrderId),
    uniqueIndex("orders_checkout_session_uq").on(t.checkoutSessionId),
    uniqueIndex("orders_payment_intent_uq").on(t.paymentIntentId),
    uniqueIndex("orders_charge_uq").on(t.chargeId),
    index("orders_buyer_idx").on(t.buyerCustomerId, t.createdAt),
    index("orders_seller_idx").on(t.sellerCustomerId, t.createdAt),
    index("orders_state_idx").on(t.state, t.updatedAt),
  ],
);

/** Everything an event said about an order, stamped with Stripe's `created`; one row per (event, kind). */
export const orderFacts = pgTable(
  "order_facts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    orderId: uuid("order_id").notNull(),
    kind: text("kind").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    eventId: uuid("event_id"),
    details: jsonb("details"),
    dedupeKey: text("dedupe_key").notNull(),
  },
  (t) => [uniqueIndex("order_facts_dedupe_uq").on(t.dedupeKey), index("order_facts_order_idx").on(t.orderId, t.at)],
);

/** A seller's Stripe Connect account as its last `account.updated` described it. */
export const connectAccounts = pgTable(
  "connect_accounts",
  {
    accountId: text("account_id").primaryKey(),
    /** The seller (a customer); null until an order.created names the account. */
    customerId: uuid("customer_id"),
    chargesEnabled: boolean("charges_enabled"),
    payoutsEnabled: boolean("payouts_enabled"),
    requirementsDue: text("requirements_due").array().notNull().default(sql`'{}'::text[]`),
    disabledReason: text("disabled_reason"),
    /** Stripe time of the event that set the fields: an older one never overwrites them. */
    versionAt: timestamp("version_at", { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("connect_accounts_customer_idx").on(t.customerId)],
);

export type SupportRecordKind =
  | "order_pending"
  | "payment_failed"
  | "dispute_opened"
  | "payouts_disabled"
  | "requirements_due"
  | "payout_failed"
  | "order_needs_review";

/** A dead end the founder must look at; `dedupe_key` makes each one open once. */
export const supportRecords = pgTable(
  "support_records",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    dedupeKey: text("dedupe_key").notNull(),
    kind: text("kind").$type<SupportRecordKind>().notNull(),
    customerId: uuid("customer_id"),
    orderId: uuid("order_id"),
    accountId: text("account_id"),
    summary: text("summary").notNull(),
    details: jsonb("details"),
    status: text("status").$type<"open" | "resolved">().notNull().default("open"),
    createdAt: createdAt(),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
  },
  (t) => [
    uniqueIndex("support_records_dedupe_uq").on(t.dedupeKey),
    index("support_records_customer_idx").on(t.customerId, t.createdAt),
    index("support_records_status_idx").on(t.status, t.createdAt),
  ],
);
