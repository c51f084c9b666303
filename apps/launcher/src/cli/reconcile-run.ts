import { reconcileStripe } from "@switchyard/admin";
import { createLogger, loadConfigOrExit, secretValues } from "@switchyard/config";
import { createDb } from "@switchyard/db";
import {
  adminUrlOf,
  createAlerter,
  createDispatcher,
  createRedis,
  keyPrefix,
  QueueRegistry,
  redisTargetOf,
} from "@switchyard/queue";
import { type Args, UsageError } from "./command.ts";

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `24h`, `30m`, `7d`, or an ISO time: the window's start. */
export function parseSince(text: string, now = Date.now()): Date {
  const age = /^(\d+)([mhd])$/.exec(text.trim());
  if (age?.[1] && age[2]) return new Date(now - Number(age[1]) * (UNITS[age[2]] ?? 0));
  const at = Date.parse(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && Number.isFinite(at)) return new Date(at);
  throw new UsageError(`--since takes an age (30m, 24h, 7d) or an ISO time, got "${text}"`);
}

function pageSizeOf(value: string | boolean | undefined): number | undefined {
  if (typeof value !== "string") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new UsageError(`--page-size takes 1 to 100, got "${value}"`);
  return n;
}

export async function runReconcile(args: Args): Promise<number> {
  const since = typeof args.values.since === "string" ? parseSince(args.values.since) : undefined;
  const pageSize = pageSizeOf(args.values["page-size"]);
  const config = loadConfigOrExit(process.env, "reconcile");
  if (!config.STRIPE_SECRET_KEY) {
    process.stderr.write("sy reconcile: STRIPE_SECRET_KEY is not set: Stripe's event list cannot be read\n");
    return 1;
  }
  if (!config.DATABASE_URL) {
    // The embedded PGlite belongs to the one ./sy start process; a second opener could damage it.
    process.stderr.write(
      "sy reconcile: DATABASE_URL is not set: the embedded database belongs to ./sy start, whose admin reconciles every RECONCILE_INTERVAL_MS\n",
    );
    return 1;
  }
  const logger = createLogger({ name: "reconcile", level: config.LOG_LEVEL, secrets: secretValues(config) });
  const dbHandle = await createDb({ databaseUrl: config.DATABASE_URL, maxConnections: 2 });
  const redis = createRedis(redisTargetOf(config), "producer");
  redis.on("error", (err) => logger.debug("redis connection error", { err }));
  const registry = QueueRegistry.fromConfig(config, redis);
  const alerter = createAlerter({
    redis,
    prefix: keyPrefix(config),
    logger,
    webhookUrl: config.ALERT_WEBHOOK_URL,
    windowMs: config.ALERT_WINDOW_MS,
    adminUrl: adminUrlOf(config),
  });
  try {
    const r = await reconcileStripe(
      { config, db: dbHandle.db, dispatcher: createDispatcher({ db: dbHandle.db, registry }), logger, alerter },
      {
        ...(since ? { since } : {}),
        ...(args.values["undelivered-first"] ? { undeliveredFirst: true } : {}),
        ...(pageSize ? { pageSize } : {}),
      },
    );
    const window = r.from && r.to ? ` (${r.from.toISOString()} to ${r.to.toISOString()})` : "";
    if (r.status === "busy") {
      process.stderr.write("sy reconcile: another reconcile holds the cursor; try again once it is done\n");
      return 1;
    }
    const resumed = r.resumed ? "resumed a run left half-way; " : "";
    if (r.status === "completed") {
      process.stdout.write(
        `reconcile: ${resumed}${r.seen} Stripe event(s) listed${window}, ${r.backfilled} backfilled (recorded and enqueued)\n`,
      );
      return 0;
    }
    process.stderr.write(
      `sy reconcile: ${resumed}stopped (${r.status}${r.error ? `: ${r.error}` : ""}) after ${r.seen} event(s), ${r.backfilled} backfilled; the next run resumes from the cursor\n`,
    );
    return 1;
  } finally {
    await registry.close();
    redis.disconnect();
    await dbHandle.close();
  }
}
