import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { Counter, Histogram, Registry } from "prom-client";

/** Seconds; ingest answers in milliseconds, so the low end is fine-grained. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds; jobs call providers with deadlines of several seconds. */
const JOB_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds from receipt to the last effect: retries with backoff can take minutes. */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/**
 * One process's instruments. Everything is a counter or a histogram, so the snapshots of several
 * processes add up (prom-client's "sum" aggregator) into the system's totals.
 */
export interface Metrics {
  /** Names this process's snapshot in Redis. */
  readonly instanceId: string;
  readonly registry: Registry;
  readonly webhooksReceived: Counter<"source">;
  readonly webhooksAccepted: Counter<"source">;
  readonly webhooksDuplicate: Counter<"source">;
  readonly webhooksRejected: Counter<"source" | "reason">;
  readonly ingestDuration: Histogram<"source" | "status">;
  readonly jobDuration: Histogram<"queue" | "outcome">;
  readonly jobFailures: Counter<"queue" | "reason">;
  readonly eventLatency: Histogram<"source">;
  readonly openaiRequests: Counter<"outcome">;
  readonly openaiErrors: Counter<"reason">;
  readonly openaiDegraded: Counter<"reason">;
  readonly openaiTokens: Counter<"kind">;
  /** Events a provider's own list held, by whether Switchyard had recorded them (present) or not (backfilled). */
  readonly reconcileEvents: Counter<"source" | "outcome">;
  readonly reconcileRuns: Counter<"source" | "outcome">;
}

/** A fresh set of instruments on a registry of its own (tests build one per system). */
export function createMetrics(): Metrics {
  const registry = new Registry();
  const registers = [registry];
  return {
    instanceId: `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`,
    registry,
    webhooksReceived: new Counter({
      name: "switchyard_webhooks_received_total",
      help: "Requests received on ingest's event routes (webhooks and /v1/events), whatever the outcome.",
      labelNames: ["source"],
      registers,
    }),
    webhooksAccepted: new Counter({
      name: "switchyard_webhooks_accepted_total",
      help: "Events recorded for the first time (a HubSpot batch counts each of its events).",
      labelNames: ["source"],
      registers,
    }),
    webhooksDuplicate: new Counter({
      name: "switchyard_webhooks_duplicate_total",
      help: "Events already recorded under their (source, source event id): answered 200, not processed again.",
      labelNames: ["source"],
      registers,
    }),
    webhooksRejected: new Counter({
      name: "switchyard_webhooks_rejected_total",
      help: "Requests answered with an error, by ingest error code (auth_failed, invalid_payload, ...).",
      labelNames: ["source", "reason"],
      registers,
    }),
    ingestDuration: new Histogram({
      name: "switchyard_ingest_request_duration_seconds",
      help: "Time ingest took to answer an event request, by source and HTTP status.",
      labelNames: ["source", "status"],
      buckets: REQUEST_BUCKETS,
      registers,
    }),
    jobDuration: new Histogram({
      name: "switchyard_job_duration_seconds",
      help: "Time one job run took, by queue and outcome (completed, skipped, retry, failed, rate_limited).",
      labelNames: ["queue", "outcome"],
      buckets: JOB_BUCKETS,
      registers,
    }),
    jobFailures: new Counter({
      name: "switchyard_job_failures_total",
      help: "Jobs that failed for good and were parked in failed.<reason>, by origin queue and reason.",
      labelNames: ["queue", "reason"],
      registers,
    }),
    eventLatency: new Histogram({
      name: "switchyard_event_latency_seconds",
      help: "From receipt (events.received_at) to the last effect: when the event was settled processed. Events that failed and were retried by an operator are left out.",
      labelNames: ["source"],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    openaiRequests: new Counter({
      name: "switchyard_openai_requests_total",
      help: "Requests sent to the OpenAI API (each retry counts), by outcome (ok, error).",
      labelNames: ["outcome"],
      registers,
    }),
    openaiErrors: new Counter({
      name: "switchyard_openai_errors_total",
      help: "OpenAI requests that failed, by reason code.",
      labelNames: ["reason"],
      registers,
    }),
    openaiDegraded: new Counter({
      name: "switchyard_openai_degraded_total",
      help: "Triage answers given by the rules classifier because the model failed or was late, by reason.",
      labelNames: ["reason"],
      registers,
    }),
    openaiTokens: new Counter({
      name: "switchyard_openai_tokens_total",
      help: "Tokens OpenAI reported using, by kind (prompt, completion).",
      labelNames: ["kind"],
      registers,
    }),
    reconcileEvents: new Counter({
      name: "switchyard_reconcile_events_total",
      help: "Events the provider's own event list held, by outcome: present (recorded already) or backfilled.",
      labelNames: ["source", "outcome"],
      registers,
    }),
    reconcileRuns: new Counter({
      name: "switchyard_reconcile_runs_total",
      help: "Reconcile runs against a provider's event list, by outcome (completed, failed).",
      labelNames: ["source", "outcome"],
      registers,
    }),
  };
}

let shared: Metrics | undefined;

/**
 * The instruments of this process: ingest, the workers and admin started in one process
 * (`pnpm start`) all count here, and admin reads it live.
 */
export function processMetrics(): Metrics {
  shared ??= createMetrics();
  return shared;
}

/** Seconds since `startedAt` (a `performance.now()` reading). */
export function secondsSince(startedAt: number): number {
  return (performance.now() - startedAt) / 1_000;
}
