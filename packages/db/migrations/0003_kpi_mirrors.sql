CREATE TABLE "crm_contact_mirror" (
	"provider" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"contact_id" text NOT NULL,
	"email" text,
	"writes" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "crm_contact_mirror_provider_customer_id_contact_id_pk" PRIMARY KEY("provider","customer_id","contact_id")
);
--> statement-breakpoint
CREATE TABLE "webhook_refusals" (
	"minute" timestamp with time zone NOT NULL,
	"source" text NOT NULL,
	"reason" text NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "webhook_refusals_minute_source_reason_pk" PRIMARY KEY("minute","source","reason")
);
--> statement-breakpoint
ALTER TABLE "external_notes" ADD COLUMN "kind" text;--> statement-breakpoint
ALTER TABLE "crm_contact_mirror" ADD CONSTRAINT "crm_contact_mirror_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Notes written before the column existed: support-context keys its notes `context-<hash>`, admin's failure tickets `failure-<id>-note`, ai-triage's drafts `<event>-draft`.
UPDATE "external_notes" SET "kind" = CASE WHEN "idempotency_key" LIKE 'context-%' OR "idempotency_key" LIKE 'failure-%-note' THEN 'context' ELSE 'draft' END WHERE "kind" IS NULL;
