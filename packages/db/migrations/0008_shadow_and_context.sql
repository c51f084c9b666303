-- The last context each open ticket was given, so a billing or order change can correct it.
CREATE TABLE IF NOT EXISTS "ticket_contexts" (
	"desk" text NOT NULL,
	"ticket_ref" text NOT NULL,
	"customer_id" uuid REFERENCES "customers"("id"),
	"facts_key" text,
	"status" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ticket_contexts_pk" PRIMARY KEY ("desk", "ticket_ref")
);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "ticket_contexts_open_customer_idx" ON "ticket_contexts" ("customer_id") WHERE "status" = 'open';
--> statement-breakpoint
-- What a queue in shadow mode would have written to a provider, one row per (queue, write key).
CREATE TABLE IF NOT EXISTS "shadow_writes" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"queue" text NOT NULL,
	"source" text NOT NULL,
	"provider" text NOT NULL,
	"operation" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"event_id" uuid,
	"customer_id" uuid,
	"target" text,
	"request" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX IF NOT EXISTS "shadow_writes_queue_key_uq" ON "shadow_writes" ("queue", "provider", "operation", "idempotency_key");
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "shadow_writes_queue_created_idx" ON "shadow_writes" ("queue", "created_at");
