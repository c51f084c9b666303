import { type Metrics, secondsSince } from "@switchyard/metrics";
import { createMiddleware } from "hono/factory";
import type { AcceptedEvent } from "./accept.ts";
import type { AppEnv } from "./env-types.ts";
import { ApiError, type ErrorCode } from "./errors.ts";
import type { RefusalCounter } from "./refusal-counter.ts";

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

/**
 * The answers that refuse a delivery before anything is written: its signature or timestamp did not
 * verify, its source is unknown or unconfigured, or its body is too large. A malformed body that did
 * verify is not here: it is kept as a `rejected` row, which the KPI counts from `events`.
 */
export const REFUSALS: ReadonlySet<ErrorCode> = new Set(["auth_failed", "not_found", "payload_too_large"]);

/** Counts each refused delivery on the webhook routes, after the answer is decided. */
export function countRefusals(refusals: RefusalCounter) {
  return createMiddleware<AppEnv>(async (c, next) => {
    await next();
    const err = c.error;
    if (err instanceof ApiError && REFUSALS.has(err.code)) {
      // An unconfigured name stays `unknown`, as in the metrics: made-up paths must not add rows.
      refusals.count(c.get("source") ?? "unknown", err.code, c.get("receivedAt"));
    }
  });
}
