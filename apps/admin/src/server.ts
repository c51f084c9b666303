import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Config, Logger } from "@switchyard/config";
import { supportDesk } from "@switchyard/connectors";
import type { DbHandle } from "@switchyard/db";
import type { Metrics } from "@switchyard/metrics";
import { createDispatcher, createRedis, QueueRegistry, startFailureWorkers } from "@switchyard/queue";
import { newAdminApp } from "./app.ts";
import type { AdminCredentials } from "./env-types.ts";
import { openTicketFor } from "./failure-tickets.ts";

export interface AdminServer {
  port: number;
  close(): Promise<void>;
}

/** Admin as a running service: Bull Board + API on ADMIN_PORT, and the failure-queue workers. */
export async function startAdmin(opts: {
  config: Config;
  dbHandle: DbHandle;
  logger: Logger;
  credentials: AdminCredentials;
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
  const app = newAdminApp({
    config,
    db: dbHandle.db,
    registry,
    dispatcher: createDispatcher({ db: dbHandle.db, registry }),
    logger,
    credentials: opts.credentials,
    redis,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  const server = serve({ fetch: app.fetch, port: config.ADMIN_PORT, hostname: config.ADMIN_BIND }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  logger.info("admin listening", { port, bullBoard: `http://127.0.0.1:${port}/queues` });
  return {
    port,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await failureWorkers.close();
      await registry.close();
      redis.disconnect();
    },
  };
}
