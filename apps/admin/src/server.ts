import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Config, Logger } from "@switchyard/config";
import { supportDesk } from "@switchyard/connectors";
import type { DbHandle } from "@switchyard/db";
import { kpiSettings, loadKpis } from "@switchyard/domain";
import type { OpenApiDocument } from "@switchyard/http";
import { listening } from "@switchyard/http";
import { type Metrics, processMetrics } from "@switchyard/metrics";
import {
  adminUrlOf,
  closeOrGiveUp,
  createAlerter,
  createDispatcher,
  createRedis,
  keyPrefix,
  QueueRegistry,
  redisTargetOf,
  startFailureWatch,
  startFailureWorkers,
  startReconcileScheduler,
  warnIfClusterNode,
  withTimeout,
} from "@switchyard/queue";
import { bootstrapAccounts } from "./accounts.ts";
import { newAdminApp } from "./app.ts";
import type { LoadKpis } from "./console/kpis.ts";
import type { AdminCredentials } from "./env-types.ts";
import { openTicketFor } from "./failure-tickets.ts";
import { type KpiChecker, startKpiChecker } from "./kpi-checker.ts";
import { reconcileStripe } from "./reconcile.ts";
import { type ReviewAgeChecker, reviewCheckInterval, startReviewAgeChecker } from "./review-age-checker.ts";
import { type StuckChecker, startStuckChecker, stuckCheckInterval } from "./stuck-checker.ts";

export interface AdminServer {
  port: number;
  /** The periodic KPI checker (every KPI_CHECK_INTERVAL_MS). */
  kpis: KpiChecker;
  /** The stuck-work checker (queues nobody takes from, unrelayed events, endless retries). */
  stuck: StuckChecker;
  /** Review items waiting for a person longer than REVIEW_ALERT_AFTER_MS alert. */
  reviews: ReviewAgeChecker;
  /** Rejects unless Redis and Postgres answer within a second (the health port's /readyz). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Admin as a running service: Bull Board + API on ADMIN_PORT, the failure-queue workers and the KPI checker. */
export async function startAdmin(opts: {
  config: Config;
  dbHandle: DbHandle;
  logger: Logger;
  credentials: AdminCredentials;
  /** The console's KPI section; by default the KPIs the checker alerts on. */
  loadKpis?: LoadKpis;
  /** The process's own instruments when absent. */
  metrics?: Metrics;
  /** Ingest's document, for /openapi.json to describe both apps (see AdminDeps.publicApi). */
  publicApi?: OpenApiDocument;
}): Promise<AdminServer> {
  const { config, dbHandle, logger } = opts;
  await bootstrapAccounts(dbHandle.db, opts.credentials);
  const redis = createRedis(redisTargetOf(config), "producer");
  warnIfClusterNode(redis, redisTargetOf(config), (msg, fields) => logger.error(msg, fields));
  redis.on("error", (err) => logger.debug("redis connection error", { err }));
  const registry = QueueRegistry.fromConfig(config, redis, (err) => logger.debug("queue connection error", { err }));
  const desk = supportDesk(dbHandle.db, config);
  const failureWorkers = await startFailureWorkers({
    config,
    db: dbHandle.db,
    registry,
    logger,
    onParked: (parked) => openTicketFor(desk, parked, `http://127.0.0.1:${config.ADMIN_PORT}`),
  });
  // The same alert path as failed jobs: one webhook, one Redis-shared claim per alert.
  const alerter = createAlerter({
    redis,
    prefix: keyPrefix(config),
    logger: logger.child({ component: "alerts" }),
    webhookUrl: config.ALERT_WEBHOOK_URL,
    windowMs: config.ALERT_WINDOW_MS,
    adminUrl: adminUrlOf(config),
  });
  const kpis = startKpiChecker({
    db: dbHandle.db,
    redis,
    prefix: keyPrefix(config),
    alerter,
    settings: kpiSettings(config),
    logger: logger.child({ component: "kpis" }),
    intervalMs: config.KPI_CHECK_INTERVAL_MS,
    orderPendingReviewMs: config.ORDER_PENDING_REVIEW_MS,
  });
  const stuck = startStuckChecker({
    db: dbHandle.db,
    redis,
    registry,
    config,
    alerter,
    logger: logger.child({ component: "stuck" }),
    intervalMs: stuckCheckInterval(config),
  });
  const reviews = startReviewAgeChecker({
    db: dbHandle.db,
    redis,
    prefix: keyPrefix(config),
    alerter,
    logger: logger.child({ component: "reviews" }),
    olderThanMs: config.REVIEW_ALERT_AFTER_MS,
    intervalMs: reviewCheckInterval(config.REVIEW_ALERT_AFTER_MS),
  });
  // Workers run their own; admin's too sends a due failing alert whose worker process died.
  const watch = startFailureWatch({
    redis,
    prefix: keyPrefix(config),
    alerter,
    config,
    logger,
    db: dbHandle.db,
    tickMs: 1_000,
  });
  const dispatcher = createDispatcher({ db: dbHandle.db, registry });
  // Webhooks Stripe never delivered are backfilled from its event list; admin is the operator's one process.
  const reconcile = await startReconcileScheduler({
    config,
    logger: logger.child({ component: "reconcile" }),
    run: () =>
      reconcileStripe({
        config,
        db: dbHandle.db,
        dispatcher,
        alerter,
        logger: logger.child({ component: "reconcile" }),
        metrics: opts.metrics ?? processMetrics(),
      }),
  });
  const app = newAdminApp({
    config,
    db: dbHandle.db,
    registry,
    dispatcher,
    logger,
    credentials: opts.credentials,
    loadKpis: opts.loadKpis ?? (() => loadKpis(dbHandle.db, kpiSettings(config))),
    redis,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    publicApi: opts.publicApi,
  });
  const server = serve({ fetch: app.fetch, port: config.ADMIN_PORT, hostname: config.ADMIN_BIND }) as Server;
  try {
    await listening(server, config.ADMIN_PORT, "ADMIN_PORT");
  } catch (err) {
    // A caller that handles the error (a test, a retry on another port) must not keep connections open.
    await kpis.close();
    await stuck.close();
    await reviews.close();
    await watch.close();
    await reconcile.close();
    await failureWorkers.close();
    await registry.close();
    redis.disconnect();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  logger.info("admin listening", {
    port,
    console: `http://127.0.0.1:${port}/console`,
    bullBoard: `http://127.0.0.1:${port}/queues`,
  });
  return {
    port,
    kpis,
    stuck,
    reviews,
    async ready() {
      await Promise.all([
        // A write, not a ping: a replica answers pings and refuses every write.
        registry.canEnqueue(1_000),
        withTimeout(dbHandle.ping(), 1_000, "database ping"),
      ]);
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await kpis.close();
      await stuck.close();
      await reviews.close();
      await watch.close();
      await closeOrGiveUp(reconcile.close(), { redis });
      // Their close waits for Redis to acknowledge it: with Redis away, for ever.
      await closeOrGiveUp(failureWorkers.close(), { redis });
      await registry.close();
      redis.disconnect();
    },
  };
}
