import { z } from "zod";

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v?.trim() ? v.trim() : undefined));
const port = z.coerce.number().int().min(0).max(65_535);
const ms = z.coerce.number().int().min(1);
const percentage = z.coerce.number().min(0).max(100);

export const ConfigSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
    REDIS_URL: z.url({ protocol: /^rediss?$/ }).default("redis://127.0.0.1:6379"),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9_{}.-]+$/, "letters, digits, _ . - and {} only")
      .default("switchyard"),
    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    /**
     * Postgres connections per pool: one pool per process, and a second for the workers under
     * `pnpm start` on Postgres. A worker needs about one per job it runs at once.
     */
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
    DATA_DIR: z.string().min(1).default("./.data"),
    INGEST_PORT: port.default(3000),
    ADMIN_PORT: port.default(3001),
    /** Admin listens on loopback unless told otherwise (a container needs 0.0.0.0 behind its port mapping). */
    ADMIN_BIND: z.string().min(1).default("127.0.0.1"),
    INGEST_PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    RELAY_INTERVAL_MS: ms.default(5_000),
    RELAY_GRACE_MS: ms.default(10_000),
    STRIPE_WEBHOOK_SECRET: list,
    STRIPE_SECRET_KEY: optionalText,
    STRIPE_API_BASE: z.url().optional(),
    HUBSPOT_CLIENT_SECRET: list,
    HUBSPOT_ACCESS_TOKEN: optionalText,
    HUBSPOT_API_BASE: z.url().optional(),
    ZENDESK_WEBHOOK_SECRET: list,
    ZENDESK_API_BASE: z.url().optional(),
    ZENDESK_EMAIL: optionalText,
    ZENDESK_API_TOKEN: optionalText,
    OPENAI_API_KEY: optionalText,
    OPENAI_BASE_URL: z.url().optional(),
    OPENAI_MODEL: z.string().default("gpt-4.1-mini"),
    /** Budget for one triage call to the model, retries included; the rules classifier answers after it. */
    OPENAI_TIMEOUT_MS: z.coerce.number().int().min(100).default(8_000),
    APP_API_KEYS: list,
    ADMIN_TOKEN: optionalText,
    ADMIN_USER: optionalText,
    ADMIN_PASSWORD: optionalText,
    ALERT_WEBHOOK_URL: z.url().optional(),
    /** After an alert for a reason, further failures of it are counted, not sent, for this long. */
    ALERT_WINDOW_MS: z.coerce.number().int().min(1_000).default(300_000),
    /** How often admin measures the business KPIs; crossing a threshold alerts once per crossing. */
    KPI_CHECK_INTERVAL_MS: z.coerce.number().int().min(1_000).default(60_000),
    /** KPI thresholds (see README "Business KPIs"): rates are percentages, overrides a count per 7 days. */
    KPI_DUPLICATE_CONTACT_RATE_MAX: percentage.default(0),
    KPI_PAYMENT_SYNC_SUCCESS_MIN: percentage.default(99),
    KPI_TICKETS_MISSING_CONTEXT_MAX: percentage.default(2),
    KPI_WEBHOOK_FAILURE_RATE_MAX: percentage.default(1),
    KPI_OVERRIDES_PER_WEEK_MAX: z.coerce.number().int().min(0).default(10),
    KPI_OPENAI_ERROR_RATE_MAX: percentage.default(5),
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
  })
  .refine((c) => !c.ADMIN_USER === !c.ADMIN_PASSWORD, {
    message: "ADMIN_USER and ADMIN_PASSWORD must be set together",
    path: ["ADMIN_PASSWORD"],
  });
