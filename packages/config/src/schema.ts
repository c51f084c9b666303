import { list, ms, optionalText, percentage, port, secret } from "@switchyard/env";
import { SOURCES, type SourceRegistry, type SourcesEnvShape, sourceEnvShape } from "@switchyard/sources";
import { z } from "zod";

/** A comma-separated list of `host:port`, empty when unset. */
const hostPorts = () =>
  list().refine((items) => items.every((item) => /^[^\s:,]+:\d{1,5}$/.test(item)), "host:port, comma-separated");

/**
 * Process-wide variables. Each webhook source declares its own (packages/sources); secrets are
 * marked with `secret()` here, where they are defined, and redaction reads the marks.
 */
export const BASE_CONFIG_SHAPE = {
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** An info line for every job done (`job completed`, `already delivered`); debug level logs them too. */
  LOG_JOBS: z.stringbool().default(false),
  REDIS_URL: secret(z.url({ protocol: /^rediss?$/ }).default("redis://127.0.0.1:6379"), "url-password"),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}.-]+$/, "letters, digits, _ . - and {} only")
    .default("switchyard"),
  /**
   * Redis Cluster seed nodes (`host:port,host:port`): every connection becomes an ioredis Cluster,
   * each queue gets a hash tag of its own and REDIS_URL lends only its credentials and TLS.
   */
  REDIS_CLUSTER_NODES: hostPorts(),
  /** Redis Sentinels (`host:port,...`): connections ask them for REDIS_SENTINEL_MASTER's address. */
  REDIS_SENTINELS: hostPorts(),
  REDIS_SENTINEL_MASTER: z.string().min(1).default("mymaster"),
  /** The Sentinels' own password (`requirepass` on them), when they have one. */
  REDIS_SENTINEL_PASSWORD: secret(optionalText()),
  DATABASE_URL: secret(z.url({ protocol: /^postgres(ql)?$/ }).optional(), "url-password"),
  /**
   * Postgres connections per pool: one pool per process, and a second for the workers under
   * `pnpm start` on Postgres. 5 keeps the documented topologies within Postgres's default
   * max_connections (100): processes x pool, docs/DEPLOYING.md has the budget.
   */
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).default(5),
  DATA_DIR: z.string().min(1).default("./.data"),
  INGEST_PORT: port().default(3000),
  ADMIN_PORT: port().default(3001),
  /** Admin listens on loopback unless told otherwise (a container needs 0.0.0.0 behind its port mapping). */
  ADMIN_BIND: z.string().min(1).default("127.0.0.1"),
  INGEST_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * How long ingest waits to record an event before it answers 503 database_unavailable; a
   * statement five times as late means a dead connection, and ingest's pool is replaced.
   */
  DATABASE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  /** The whole request, headers and body, within this, else 408 and the connection closed. */
  INGEST_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  /**
   * A request's headers within this of the connection, or of the last answer on a kept-alive one:
   * an idle connection is closed then (plus Node's 1 s, so a client reusing it just then is safe).
   */
  INGEST_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** Open connections per ingest process; further ones are closed as they arrive. */
  INGEST_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(1_000),
  RELAY_INTERVAL_MS: ms().default(5_000),
  RELAY_GRACE_MS: ms().default(10_000),
  /** Rows still `received` this long after they were recorded are checked again, round and round. */
  RELAY_RECHECK_AFTER_MS: ms().default(15 * 60_000),
  /**
   * /healthz and /readyz of a worker or admin process. Unset: none (ingest serves its own on
   * INGEST_PORT, `pnpm start` has ingest's); 0: a port the system picks, logged.
   */
  HEALTH_PORT: port().optional(),
  /** From SIGTERM to exit at most: readiness fails, work in flight drains, then what is left is cut. */
  SHUTDOWN_GRACE_MS: ms().default(20_000),
  /** After SIGTERM, how long /readyz fails while the process still serves, for a balancer to notice. */
  SHUTDOWN_DELAY_MS: z.coerce.number().int().min(0).default(0),
  STRIPE_SECRET_KEY: secret(optionalText()),
  STRIPE_API_BASE: z.url().optional(),
  /**
   * With STRIPE_SECRET_KEY, how often admin compares Stripe's event list with what was recorded and
   * backfills what never arrived (`./sy reconcile` by hand); 0 turns the schedule off.
   */
  RECONCILE_INTERVAL_MS: z.coerce
    .number()
    .int()
    .refine((v) => v === 0 || v >= 10_000, "0 (off) or at least 10000")
    .default(900_000),
  HUBSPOT_ACCESS_TOKEN: secret(optionalText()),
  HUBSPOT_API_BASE: z.url().optional(),
  ZENDESK_API_BASE: z.url().optional(),
  ZENDESK_EMAIL: optionalText(),
  ZENDESK_API_TOKEN: secret(optionalText()),
  /** How long a Zendesk requester read through the Users API is reused by a worker process. */
  ZENDESK_USER_CACHE_MS: ms().default(300_000),
  /**
   * Rollout per queue and per source: `crm-sync=shadow,zendesk=off`. `live` writes to providers,
   * `shadow` runs the handler and records each write it would have made instead, `off` skips the
   * job. Unnamed ones are live; `*` names every one. The stricter of a job's queue and source wins.
   */
  ROLLOUT_MODES: list().refine(
    (items) => items.every((i) => /^(\*|[a-z0-9][a-z0-9_-]*)=(live|shadow|off)$/.test(i)),
    "name=live|shadow|off, comma-separated",
  ),
  /** Customers (email or app user id) whose jobs are live where their queue or source is in shadow. */
  ROLLOUT_LIVE_CUSTOMERS: list(),
  /** This share of customers (a stable hash of their id) is live where their queue or source is in shadow. */
  ROLLOUT_LIVE_PERCENT: percentage().default(0),
  OPENAI_API_KEY: secret(optionalText()),
  OPENAI_BASE_URL: z.url().optional(),
  OPENAI_MODEL: z.string().default("gpt-4.1-mini"),
  /** Budget for one triage call to the model, retries included; the rules classifier answers after it. */
  OPENAI_TIMEOUT_MS: z.coerce.number().int().min(100).default(8_000),
  /** Domains whose links may stay in AI drafts and summaries; empty: the company's own (see aiOutputPolicy). */
  AI_LINK_DOMAINS: list().refine(
    (items) => items.every((d) => /^[a-z0-9.-]+\.[a-z]{2,}$/i.test(d)),
    "domains, comma-separated",
  ),
  APP_API_KEYS: secret(list()),
  ADMIN_TOKEN: secret(optionalText()),
  ADMIN_USER: optionalText(),
  ADMIN_PASSWORD: secret(optionalText()),
  /** How long a console sign-in lasts; then the browser signs in again. */
  ADMIN_SESSION_TTL_MS: ms().default(12 * 60 * 60_000),
  // Slack-style incoming webhook URLs are bearer credentials in themselves.
  ALERT_WEBHOOK_URL: secret(z.url().optional()),
  /** After an alert for a reason, further failures of it are counted, not sent, for this long. */
  ALERT_WINDOW_MS: z.coerce.number().int().min(1_000).default(300_000),
  /**
   * A reason still failing this long after its first failed attempt alerts, retries or not; the
   * checks run every second, so the message is out within about a second more.
   */
  ALERT_AFTER_MS: ms().default(30_000),
  /**
   * Work counts as stuck when a queue has jobs waiting and none was taken for this long, or a
   * recorded event is still not relayed this long after RELAY_GRACE_MS.
   */
  STUCK_AFTER_MS: z.coerce.number().int().min(1_000).default(60_000),
  /** A review item still waiting for a person this long alerts (once, until the inbox has none that old). */
  REVIEW_ALERT_AFTER_MS: ms().default(14_400_000),
  /** An order still `pending`, or `payment_failed` with no success since, this long opens one support record. */
  ORDER_PENDING_REVIEW_MS: ms().default(86_400_000),
  /** How often admin measures the business KPIs; crossing a threshold alerts once per crossing. */
  KPI_CHECK_INTERVAL_MS: z.coerce.number().int().min(1_000).default(60_000),
  /** KPI thresholds (see README "Business KPIs"): rates are percentages, overrides a count per 7 days. */
  KPI_DUPLICATE_CONTACT_RATE_MAX: percentage().default(0),
  KPI_PAYMENT_SYNC_SUCCESS_MIN: percentage().default(99),
  KPI_TICKETS_MISSING_CONTEXT_MAX: percentage().default(2),
  KPI_WEBHOOK_FAILURE_RATE_MAX: percentage().default(1),
  KPI_OVERRIDES_PER_WEEK_MAX: z.coerce.number().int().min(0).default(10),
  KPI_OPENAI_ERROR_RATE_MAX: percentage().default(5),
  KPI_PAYMENT_SYNC_P95_MAX_MS: ms().default(2_000),
  KPI_TICKET_CREATION_SUCCESS_MIN: percentage().default(99),
  KPI_TICKET_CREATION_P95_MAX_MS: ms().default(5_000),
  /** How long after a completed checkout a login or `onboarding.completed` still counts as onboarded. */
  KPI_ONBOARDING_WITHIN_MS: ms().default(86_400_000),
  /** The onboarding KPIs breach above their 7-day baseline plus this share of it (percent). */
  KPI_ONBOARDING_RISE_MAX: percentage().default(20),
  /**
   * Fewest measurements (webhooks, events, tickets, checkouts) a KPI needs before it may alert:
   * `10` for every KPI, `10,webhook_failure_rate=100` to set one apart. Kept as text; the KPI
   * module reads the keys (and refuses one it does not know).
   */
  KPI_MIN_SAMPLE: z
    .string()
    .trim()
    .regex(/^(\d+|[a-z0-9_]+=\d+)(\s*,\s*(\d+|[a-z0-9_]+=\d+))*$/, "a number, or key=number pairs, comma-separated")
    .default("10"),
  /** Overrides the job catalog's retry settings (first backoff delay, attempts) for every queue. */
  RETRY_BACKOFF_MS: z.coerce.number().int().min(1).optional(),
  RETRY_ATTEMPTS: z.coerce.number().int().min(1).max(100).optional(),
  /** Deadline for one call to a provider's API. */
  PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /** How often each process publishes its metrics to Redis for admin's /metrics; a snapshot lives 3 periods. */
  METRICS_PUBLISH_MS: z.coerce.number().int().min(1_000).max(300_000).default(10_000),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(10),
  /** How long a job's lock lives; a worker that dies mid-job gives its job back after this. */
  WORKER_LOCK_MS: z.coerce.number().int().min(1_000).max(600_000).default(30_000),
};

type ConfigShape = typeof BASE_CONFIG_SHAPE & SourcesEnvShape;

function withSources(sources: SourceRegistry) {
  const shape = { ...BASE_CONFIG_SHAPE, ...sourceEnvShape(sources) } as ConfigShape;
  return {
    shape,
    schema: z.object(shape).refine((c) => !c.ADMIN_USER === !c.ADMIN_PASSWORD, {
      message: "ADMIN_USER and ADMIN_PASSWORD must be set together",
      path: ["ADMIN_PASSWORD"],
    }),
  };
}

const BUILT_IN = withSources(SOURCES);

/** Every variable Switchyard reads (but WEBHOOK_SECRET_<SOURCE>), with the built-in sources'. */
export const ConfigSchema = BUILT_IN.schema;
export const CONFIG_SHAPE: Readonly<Record<string, z.core.$ZodType>> = BUILT_IN.shape;

/** The schema for another set of sources (a test's fixture source beside the built-in ones). */
export function configSchemaFor(sources: SourceRegistry) {
  return sources === SOURCES ? BUILT_IN : withSources(sources);
}
