import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Config, Logger } from "@switchyard/config";
import type { DbHandle } from "@switchyard/db";
import type { Metrics } from "@switchyard/metrics";
import { createDispatcher, createRedis, createRelay, QueueRegistry, withTimeout } from "@switchyard/queue";
import type { Redis } from "ioredis";
import { newApp } from "./app.ts";
import { createPipeline } from "./pipeline.ts";

/** /readyz: Redis and Postgres both answer within a second. */
export function readinessCheck(redis: Redis, dbHandle: DbHandle): () => Promise<void> {
  return async () => {
    await Promise.all([
      withTimeout(redis.ping(), 1_000, "redis ping"),
      withTimeout(dbHandle.ping(), 1_000, "database ping"),
    ]);
  };
}

export interface IngestServer {
  port: number;
  close(): Promise<void>;
}

/** Ingest as a running service: the HTTP edge plus the relay that backs it. */
export async function startIngest(opts: {
  config: Config;
  dbHandle: DbHandle;
  logger: Logger;
  /** The process's own instruments when absent. */
  metrics?: Metrics;
}): Promise<IngestServer> {
  const { config, dbHandle, logger } = opts;
  const redis = createRedis(config.REDIS_URL, "producer");
  redis.on("error", (err) => logger.debug("redis connection error", { err }));
  const registry = QueueRegistry.fromConfig(config, redis, (err) => logger.debug("queue connection error", { err }));
  const dispatcher = createDispatcher({ db: dbHandle.db, registry });
  const relay = createRelay({
    db: dbHandle.db,
    dispatcher,
    logger,
    intervalMs: config.RELAY_INTERVAL_MS,
    graceMs: config.RELAY_GRACE_MS,
  });
  const pipeline = createPipeline({ db: dbHandle.db, dispatcher });
  const app = newApp({
    config,
    db: dbHandle.db,
    dispatcher,
    pipeline,
    logger,
    checkReady: readinessCheck(redis, dbHandle),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  const server = serve({ fetch: app.fetch, port: config.INGEST_PORT, hostname: "0.0.0.0" }) as Server;
  // A client trickling a body must not hold a connection (and a relay-visible row) for minutes.
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  relay.start();
  const port = (server.address() as AddressInfo).port;
  logger.info("ingest listening", { port });
  return {
    port,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await relay.stop();
      await registry.close();
      redis.disconnect();
    },
  };
}
