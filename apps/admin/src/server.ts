import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Config, Logger } from "@switchyard/config";
import { supportDesk } from "@switchyard/connectors";
import type { DbHandle } from "@switchyard/db";
import { kpiThresholds, loadKpis } from "@switchyard/domain";
import type { Metrics } from "@switchyard/metrics";
import { createAlerter, createDispatcher, createRedis, QueueRegistry, startFailureWorkers } from "@switchyard/queue";
import { newAdminApp } from "./app.ts";
import type { LoadKpis } from "./console/kpis.ts";
import type { AdminCredentials } from "./env-types.ts";
import { openTicketFor } from "./failure-tickets.ts";
import { type KpiChecker, startKpiChecker } from "./kpi-checker.ts";

export interface AdminServer {
  port: number;
  /** The periodic KPI checker (every KPI_CHECK_INTERVAL_MS). */
  kpis: KpiChecker;
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
}): Promise<AdminServer> {
  const { config, dbHandle, logger } = opts;
  const redis = createRedis(config.REDIS_URL, "producer");
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
  const kpis = startKpiChecker({
    db: dbHandle.db,
    redis,
    prefix: config.QUEUE_PREFIX,
    // The same alert path as failed jobs: one webhook, one Redis-shared claim per alert.
    alerter: createAlerter({
      redis,
      prefix: config.QUEUE_PREFIX,
      logger: logger.child({ component: "alerts" }),
      webhookUrl: config.ALERT_WEBHOOK_URL,
      windowMs: config.ALERT_WINDOW_MS,
    }),
    thresholds: kpiThresholds(config),
    logger: logger.child({ component: "kpis" }),
    intervalMs: config.KPI_CHECK_INTERVAL_MS,
  });
  const app = newAdminApp({
    config,
    db: dbHandle.db,
    registry,
    dispatcher: createDispatcher({ db: dbHandle.db, registry }),
    logger,
    credentials: opts.credentials,
    loadKpis: opts.loadKpis ?? (() => loadKpis(dbHandle.db, kpiThresholds(config))),
    redis,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  const server = serve({ fetch: app.fetch, port: config.ADMIN_PORT, hostname: config.ADMIN_BIND }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  logger.info("admin listening", {
    port,
    console: `http://127.0.0.1:${port}/console`,
    bullBoard: `http://127.0.0.1:${port}/queues`,
  });
  return {
    port,
    kpis,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await kpis.close();
      await failureWorkers.close();
      await registry.close();
      redis.disconnect();
    },
  };
}
