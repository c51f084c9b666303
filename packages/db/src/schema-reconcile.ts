import { sql } from "drizzle-orm";
import { index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

const at = (name: string) => timestamp(name, { withTimezone: true });

/**
 * Where the reconcile of one provider's event list stands (migration 0007). `reconciled_until`:
 * every event the provider created before it has been compared. A run in progress keeps its
 * window, phase and page cursor here, so a run killed half-way is resumed by the next one; the
 * lease (owner, until) lets one process at a time move it.
 */
export const reconcileCursor = pgTable("reconcile_cursor", {
  source: text("source").primaryKey(),
  reconciledUntil: at("reconciled_until"),
  runId: uuid("run_id"),
  runFrom: at("run_from"),
  runTo: at("run_to"),
  runPhase: text("run_phase").$type<"failed" | "all">(),
  runStartingAfter: text("run_starting_after"),
  runStartedAt: at("run_started_at"),
  runSeen: integer("run_seen").notNull().default(0),
  runBackfilled: integer("run_backfilled").notNull().default(0),
  runOldestMissed: at("run_oldest_missed"),
  leaseOwner: text("lease_owner"),
  leaseUntil: at("lease_until"),
  lastRunAt: at("last_run_at"),
  lastRunSeen: integer("last_run_seen"),
  lastRunBackfilled: integer("last_run_backfilled"),
  lastError: text("last_error"),
  updatedAt: at("updated_at").notNull().default(sql`now()`),
});

/**
 * An event Switchyard recorded from the provider's list rather than from its webhook: keyed like
 * `events` (source, source event id), marked before the event is recorded so a kill in between
 * leaves the mark for the resumed run; `event_id` is filled in once the row exists.
 */
export const backfilledEvents = pgTable(
  "backfilled_events",
  {
    source: text("source").notNull(),
    sourceEventId: text("source_event_id").notNull(),
    runId: uuid("run_id").notNull(),
    // References events(id) in migration 0007; not declared here, so this file imports nothing of schema.ts.
    eventId: uuid("event_id"),
    providerCreated: at("provider_created").notNull(),
    backfilledAt: at("backfilled_at").notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: "backfilled_events_pk", columns: [t.source, t.sourceEventId] }),
    index("backfilled_events_run_idx").on(t.runId),
  ],
);
