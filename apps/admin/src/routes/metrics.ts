import { countFailures, type Db } from "@switchyard/db";
import type { PathItems } from "@switchyard/http";
import { Gauge, type Metrics, processMetrics, Registry, scrapeMetrics } from "@switchyard/metrics";
import type { QueueRegistry } from "@switchyard/queue";
import { Hono } from "hono";
import type { Redis } from "ioredis";
import type { AdminEnv } from "../env-types.ts";
import { adminError, tags } from "./docs.ts";

/** Every state BullMQ reports, so a dashboard can tell "none waiting" from "not reported". */
const JOB_STATES = ["waiting", "active", "delayed", "prioritized", "waiting-children", "completed", "failed"] as const;

/** What only a scrape can see: queue sizes (Redis) and failures by reason (Postgres). */
export async function systemGauges(db: Db, queues: QueueRegistry): Promise<Registry> {
  const registry = new Registry();
  const jobs = new Gauge({
    name: "switchyard_queue_jobs",
    help: "Jobs in each queue (work queues and failed.<reason>) by BullMQ state, read at scrape time.",
    labelNames: ["queue", "state"],
    registers: [registry],
  });
  const open = new Gauge({
    name: "switchyard_failures",
    help: "Rows of the failures table by reason and status (open, retrying, resolved, discarded).",
    labelNames: ["reason", "status"],
    registers: [registry],
  });
  const all = [...queues.all(), ...queues.failures()];
  const [counts, failures] = await Promise.all([
    Promise.all(all.map((q) => q.getJobCounts(...JOB_STATES))),
    countFailures(db),
  ]);
  for (const [i, queue] of all.entries()) {
    for (const [state, n] of Object.entries(counts[i] ?? {})) jobs.set({ queue: queue.name, state }, n);
  }
  for (const row of failures) open.set({ reason: row.reason, status: row.status }, row.n);
  return registry;
}

export interface MetricsRouteDeps {
  db: Db;
  registry: QueueRegistry;
  redis: Redis;
  prefix: string;
  /** This process's instruments, read live; other processes' come from their Redis snapshots. */
  metrics?: Metrics;
}

/** GET /metrics: Prometheus text for the whole system, behind admin's auth like everything else. */
export function metricsRoutes(deps: MetricsRouteDeps) {
  const local = deps.metrics ?? processMetrics();
  return new Hono<AdminEnv>().get("/", async (c) => {
    const text = await scrapeMetrics({
      local,
      redis: deps.redis,
      prefix: deps.prefix,
      extra: [await systemGauges(deps.db, deps.registry)],
    });
    return c.body(text, 200, { "content-type": Registry.PROMETHEUS_CONTENT_TYPE });
  });
}

/** Relative to where app.ts mounts these routes (/metrics). */
export const metricsDocs: PathItems = {
  "/": {
    get: {
      tags,
      summary: "Prometheus metrics of every Switchyard process (text exposition format)",
      responses: {
        "200": {
          description: "Prometheus text format 0.0.4",
          content: { "text/plain": { schema: { type: "string" } } },
        },
        ...adminError(),
      },
    },
  },
};
