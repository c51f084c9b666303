-- Rejected deliveries get a key space of their own: the unique key is (source, id, rejected), so no
-- caller's key (not even `invalid-…`) can land on a row a malformed body left.
ALTER TABLE "events" ADD COLUMN "rejected" boolean DEFAULT false NOT NULL;
--> statement-breakpoint
UPDATE "events" SET "rejected" = true WHERE "status" = 'rejected';
--> statement-breakpoint
CREATE UNIQUE INDEX "events_source_key_uq" ON "events" USING btree ("source","source_event_id","rejected");
--> statement-breakpoint
DROP INDEX "events_source_event_uq";
--> statement-breakpoint
-- GET /v1/customers/{userId}/status finds a user's app events before any worker has linked them.
CREATE INDEX "events_app_user_idx" ON "events" USING btree ((("payload" -> 'data') ->> 'userId'),"received_at") WHERE "source" = 'app';
--> statement-breakpoint
-- The failures still unsettled (open or being re-driven), by event: the status API's parked Stripe events.
CREATE INDEX "failures_unsettled_idx" ON "failures" USING btree ("event_id") WHERE "status" IN ('open', 'retrying');
