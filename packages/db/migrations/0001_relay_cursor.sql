CREATE TABLE "relay_cursor" (
	"name" text PRIMARY KEY NOT NULL,
	"checked_until" timestamp with time zone DEFAULT '-infinity' NOT NULL,
	"checked_id" uuid DEFAULT '00000000-0000-0000-0000-000000000000' NOT NULL,
	"claimed_until" timestamp with time zone
);
--> statement-breakpoint
DROP INDEX "events_unenqueued_idx";--> statement-breakpoint
CREATE INDEX "events_received_idx" ON "events" USING btree ("recorded_at","id") WHERE "events"."status" = 'received';--> statement-breakpoint
ALTER TABLE "events" DROP COLUMN "relay_claimed_until";--> statement-breakpoint
ALTER TABLE "events" DROP COLUMN "enqueued_at";
