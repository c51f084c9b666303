import { type Metrics, secondsSince } from "@switchyard/metrics";
import { createMiddleware } from "hono/factory";
import type { AcceptedEvent } from "./accept.ts";
import type { AppEnv } from "./env-types.ts";
import { ApiError } from "./errors.ts";

/**
 * Counts every request on an event route, its rejection reason and how long it took. Counter
 * increments only: nothing here does I/O. The source label is the configured source the route
 * resolved, or "unknown", so made-up paths cannot grow the label set.
 */
export function countRequests(metrics: Metrics) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const started = performance.now();
    await next();
    const source = c.get("source") ?? "unknown";
    const status = c.res.status;
    metrics.webhooksReceived.inc({ source });
    if (status >= 400) {
      // Hono hands the route's error to onError and keeps it here, so the reason is its code.
      const reason = c.error instanceof ApiError ? c.error.code : "internal_error";
      metrics.webhooksRejected.inc({ source, reason });
    }
    metrics.ingestDuration.observe({ source, status: String(status) }, secondsSince(started));
  });
}

/** New and repeated events of one accepted request (a HubSpot batch counts each). */
export function countResults(metrics: Metrics, source: string, results: readonly AcceptedEvent[]): void {
  for (const r of results)
    (r.status === "duplicate" ? metrics.webhooksDuplicate : metrics.webhooksAccepted).inc({ source });
}
