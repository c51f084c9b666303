CREATE TABLE "orders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"app_order_id" text,
	"checkout_session_id" text,
	"payment_intent_id" text,
	"charge_id" text,
	"buyer_customer_id" uuid REFERENCES "customers"("id"),
	"seller_customer_id" uuid REFERENCES "customers"("id"),
	"seller_account_id" text,
	"amount" integer,
	"currency" text,
	"application_fee" integer,
	"amount_refunded" integer DEFAULT 0 NOT NULL,
	"items" jsonb,
	"refund_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"dispute_id" text,
	"state" text DEFAULT 'pending' NOT NULL,
	"state_at" timestamp with time zone,
	"review_reason" text,
	"paid_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "orders_app_order_uq" ON "orders" USING btree ("app_order_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "orders_checkout_session_uq" ON "orders" USING btree ("checkout_session_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "orders_payment_intent_uq" ON "orders" USING btree ("payment_intent_id");
--> statement-breakpoint
CREATE UNIQUE INDEX "orders_charge_uq" ON "orders" USING btree ("charge_id");
--> statement-breakpoint
CREATE INDEX "orders_buyer_idx" ON "orders" USING btree ("buyer_customer_id","created_at");
--> statement-breakpoint
CREATE INDEX "orders_seller_idx" ON "orders" USING btree ("seller_customer_id","created_at");
--> statement-breakpoint
CREATE INDEX "orders_state_idx" ON "orders" USING btree ("state","updated_at");
--> statement-breakpoint
CREATE TABLE "order_facts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"order_id" uuid NOT NULL REFERENCES "orders"("id"),
	"kind" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"event_id" uuid,
	"details" jsonb,
	"dedupe_key" text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "order_facts_dedupe_uq" ON "order_facts" USING btree ("dedupe_key");
--> statement-breakpoint
CREATE INDEX "order_facts_order_idx" ON "order_facts" USING btree ("order_id","at");
--> statement-breakpoint
CREATE TABLE "connect_accounts" (
	"account_id" text PRIMARY KEY NOT NULL,
	"customer_id" uuid REFERENCES "customers"("id"),
	"charges_enabled" boolean,
	"payouts_enabled" boolean,
	"requirements_due" text[] DEFAULT '{}'::text[] NOT NULL,
	"disabled_reason" text,
	"version_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "connect_accounts_customer_idx" ON "connect_accounts" USING btree ("customer_id");
--> statement-breakpoint
CREATE TABLE "support_records" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"dedupe_key" text NOT NULL,
	"kind" text NOT NULL,
	"customer_id" uuid REFERENCES "customers"("id"),
	"order_id" uuid REFERENCES "orders"("id"),
	"account_id" text,
	"summary" text NOT NULL,
	"details" jsonb,
	"status" text DEFAULT 'open' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "support_records_dedupe_uq" ON "support_records" USING btree ("dedupe_key");
--> statement-breakpoint
CREATE INDEX "support_records_customer_idx" ON "support_records" USING btree ("customer_id","created_at");
--> statement-breakpoint
CREATE INDEX "support_records_status_idx" ON "support_records" USING btree ("status","created_at");
