CREATE TABLE "actions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source" text NOT NULL,
	"idempotency_key" text NOT NULL,
	"payload_hash" text NOT NULL,
	"type" text NOT NULL,
	"customer_ref" text NOT NULL,
	"customer_id" uuid REFERENCES "customers"("id"),
	"params" jsonb NOT NULL,
	"reason" text,
	"proposed_by" text NOT NULL,
	"risk" text NOT NULL,
	"decision" text NOT NULL,
	"decision_code" text,
	"decision_reason" text,
	"status" text NOT NULL,
	"execute_event_id" uuid REFERENCES "events"("id"),
	"result" jsonb,
	"error" text,
	"executed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "actions_source_key_uq" ON "actions" USING btree ("source","idempotency_key");
--> statement-breakpoint
CREATE INDEX "actions_customer_idx" ON "actions" USING btree ("customer_id","created_at");
--> statement-breakpoint
ALTER TABLE "review_items" ALTER COLUMN "event_id" DROP NOT NULL;
--> statement-breakpoint
ALTER TABLE "review_items" ADD COLUMN "action_id" uuid REFERENCES "actions"("id");
--> statement-breakpoint
ALTER TABLE "review_items" ADD COLUMN "decision" text;
--> statement-breakpoint
ALTER TABLE "review_items" ADD COLUMN "decided_by" text;
--> statement-breakpoint
ALTER TABLE "review_items" ADD COLUMN "decided_at" timestamp with time zone;
--> statement-breakpoint
ALTER TABLE "review_items" ADD COLUMN "note" text;
--> statement-breakpoint
ALTER TABLE "review_items" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;
--> statement-breakpoint
CREATE UNIQUE INDEX "review_items_action_uq" ON "review_items" USING btree ("action_id");
--> statement-breakpoint
CREATE INDEX "review_items_status_idx" ON "review_items" USING btree ("status","created_at");
