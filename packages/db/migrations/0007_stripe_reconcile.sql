-- Stripe reconcile: one cursor per provider, and a mark on each event recorded from the provider's own list.
CREATE TABLE "reconcile_cursor" (
	"source" text PRIMARY KEY NOT NULL,
	"reconciled_until" timestamp with time zone,
	"run_id" uuid,
	"run_from" timestamp with time zone,
	"run_to" timestamp with time zone,
	"run_phase" text,
	"run_starting_after" text,
	"run_started_at" timestamp with time zone,
	"run_seen" integer DEFAULT 0 NOT NULL,
	"run_backfilled" integer DEFAULT 0 NOT NULL,
	"run_oldest_missed" timestamp with time zone,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"last_run_at" timestamp with time zone,
	"last_run_seen" integer,
	"last_run_backfilled" integer,
	"last_error" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "backfilled_events" (
	"source" text NOT NULL,
	"source_event_id" text NOT NULL,
	"run_id" uuid NOT NULL,
	"event_id" uuid REFERENCES "events"("id"),
	"provider_created" timestamp with time zone NOT NULL,
	"backfilled_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "backfilled_events_pk" PRIMARY KEY("source","source_event_id")
);
--> statement-breakpoint
CREATE INDEX "backfilled_events_run_idx" ON "backfilled_events" USING btree ("run_id");
