import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Config, Logger } from "@switchyard/config";
import type { DbHandle } from "@switchyard/db";
import { listening } from "@switchyard/http";
import type { Metrics } from "@switchyard/metrics";
import {
  createDispatcher,
  createRedis,
  createRelay,
  QueueRegistry,
  redisTargetOf,
  StartupError,
  warnIfClusterNode,
  withTimeout,
} from "@switchyard/queue";
import { startChecks } from "@switchyard/sources";
import { newApp } from "./app.ts";
import { applyLimits, serverOptions } from "./limits.ts";
import { createPipeline } from "./pipeline.ts";
import { createRefusalCounter } from "./refusal-counter.ts";

/**
 * /readyz: this process can enqueue (a write in every queue's slot, cached for a second: a
 * replica answers pings but refuses jobs) and Postgres answers, both within a second.
 */
export function readinessCheck(registry: QueueRegistry, dbHandle: DbHandle): () => Promise<void> {
  return async () => {
    await Promise.all([registry.canEnqueue(1_000), withTimeout(dbHandle.ping(), 1_000, "database ping")]);
  };
}

/**
 * The sources this configuration serves (built-in ones with a secret, each WEBHOOK_SECRET_<SOURCE>,
 * `app` with APP_API_KEYS), and what the built-in ones refuse or warn about at start.
 */
export function enabledSources(config: Config): { enabled: string[]; refusals: string[]; warnings: string[] } {
  const checked = startChecks(config);
  const generic = [...config.webhookSources.keys()];
  const app = config.APP_API_KEYS.length > 0 ? ["app"] : [];
  return { ...checked, enabled: [...checked.enabled, ...generic, ...app] };
}

export interface IngestServer {
  port: number;
  /** SIGTERM's first step: /readyz answers 503 from now on, while requests are still served. */
  drain(): void;
  /** Fails readiness, stops taking connections, lets the requests in flight finish, then the relay. */
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
  const sources = enabledSources(config);
  if (sources.refusals.length > 0) throw new StartupError(`switchyard ingest: ${sources.refusals.join("; ")}`, 78);
  for (const warning of sources.warnings) logger.warn(warning);
  const redis = createRedis(redisTargetOf(config), "producer");
  warnIfClusterNode(redis, redisTargetOf(config), (msg, fields) => logger.error(msg, fields));
  redis.on("error", (err) => logger.debug("redis connection error", { err }));
  const registry = QueueRegistry.fromConfig(config, redis, (err) => logger.debug("queue connection error", { err }));
  const dispatcher = createDispatcher({ db: dbHandle.db, registry });
  const relay = createRelay({
    db: dbHandle.db,
    dispatcher,
    logger,
    intervalMs: config.RELAY_INTERVAL_MS,
    graceMs: config.RELAY_GRACE_MS,
    recheckAfterMs: config.RELAY_RECHECK_AFTER_MS,
  });
  const pipeline = createPipeline({ db: dbHandle.db, dispatcher, logger, timeoutMs: config.DATABASE_TIMEOUT_MS });
  const refusals = createRefusalCounter({ db: dbHandle.db, logger });
  let draining = false;
  const ready = readinessCheck(registry, dbHandle);
  const app = newApp({
    config,
    db: dbHandle.db,
    dispatcher,
    pipeline,
    refusals,
    logger,
    checkReady: () => (draining ? Promise.reject(new Error("shutting down")) : ready()),
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  const server = serve({
    fetch: app.fetch,
    port: config.INGEST_PORT,
    hostname: "0.0.0.0",
    serverOptions: serverOptions(config),
  }) as Server;
  // A client trickling a body or never sending one must not hold a connection for minutes.
  applyLimits(server, config);
  try {
    await listening(server, config.INGEST_PORT, "INGEST_PORT");
  } catch (err) {
    // A caller that handles the error (a test, a retry on another port) must not keep connections open.
    await refusals.close();
    await registry.close();
    redis.disconnect();
    throw err;
  }
  relay.start();
  const port = (server.address() as AddressInfo).port;
  logger.info("ingest listening", { port });
  logger.info(
    sources.enabled.length > 0
      ? `sources enabled: ${sources.enabled.join(", ")}`
      : "no source enabled: every webhook and POST /v1/events answers 404 until a secret is set",
    { sources: sources.enabled },
  );
  return {
    port,
    drain() {
      draining = true;
    },
    async close() {
      draining = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await relay.stop();
      await refusals.close();
      await registry.close();
      redis.disconnect();
    },
  };
}
