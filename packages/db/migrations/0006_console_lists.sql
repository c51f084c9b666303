-- The console pages failures newest first by (updated_at, id); events and the audit log page by
-- their primary keys (time-ordered UUIDv7 and a serial), which need nothing more.
CREATE INDEX IF NOT EXISTS "failures_updated_idx" ON "failures" USING btree ("updated_at" DESC, "id" DESC);
--> statement-breakpoint
-- An event's own failures, newest first, and its timeline lines: the event page reads both.
CREATE INDEX IF NOT EXISTS "customer_timeline_event_idx" ON "customer_timeline" USING btree ("event_id") WHERE "event_id" IS NOT NULL;
--> statement-breakpoint
-- The audit page filters by who and by what.
CREATE INDEX IF NOT EXISTS "audit_log_actor_idx" ON "audit_log" USING btree ("actor", "id" DESC);
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "audit_log_target_idx" ON "audit_log" USING btree ("target") WHERE "target" IS NOT NULL;
