/**
 * Every metric family admin's /metrics exposes, with its type: the process instruments
 * (metrics.ts), the scrape's own gauges (snapshots.ts) and admin's gauges read at scrape time.
 * Each is declared (HELP and TYPE) even before it has a sample.
 */
export const METRIC_FAMILIES = {
  switchyard_webhooks_received_total: "counter",
  switchyard_webhooks_accepted_total: "counter",
  switchyard_webhooks_duplicate_total: "counter",
  switchyard_webhooks_rejected_total: "counter",
  switchyard_ingest_request_duration_seconds: "histogram",
  switchyard_queue_jobs: "gauge",
  switchyard_job_duration_seconds: "histogram",
  switchyard_job_failures_total: "counter",
  switchyard_failures: "gauge",
  switchyard_event_latency_seconds: "histogram",
  switchyard_openai_requests_total: "counter",
  switchyard_openai_errors_total: "counter",
  switchyard_openai_degraded_total: "counter",
  switchyard_openai_tokens_total: "counter",
  switchyard_reconcile_events_total: "counter",
  switchyard_reconcile_runs_total: "counter",
  switchyard_metrics_processes: "gauge",
} as const;

/** Families missing from a parsed scrape or declared with another type. */
export function missingFamilies(types: ReadonlyMap<string, string>): string[] {
  return Object.entries(METRIC_FAMILIES)
    .filter(([name, type]) => types.get(name) !== type)
    .map(([name]) => name);
}
