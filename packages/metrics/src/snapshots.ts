import { Redis } from "ioredis";
import { AggregatorRegistry, Gauge, Registry } from "prom-client";
import { type Metrics, processMetrics } from "./metrics.ts";

/** What `registry.getMetricsAsJSON()` returns; the wire format of a snapshot. */
export type MetricsJson = Awaited<ReturnType<Registry["getMetricsAsJSON"]>>;

const indexKey = (prefix: string) => `${prefix}:metrics:instances`;
const snapshotKey = (prefix: string, instanceId: string) => `${prefix}:metrics:instance:${instanceId}`;

/**
 * Each snapshot has a key of its own with a TTL (Redis's clock, not ours, decides when a silent
 * process drops out), listed in one set so a scrape never scans the keyspace.
 */
export async function writeSnapshot(redis: Redis, prefix: string, metrics: Metrics, ttlMs: number): Promise<void> {
  const json = JSON.stringify(await metrics.registry.getMetricsAsJSON());
  await redis
    .multi()
    .set(snapshotKey(prefix, metrics.instanceId), json, "PX", ttlMs)
    .sadd(indexKey(prefix), metrics.instanceId)
    .exec();
}

/** The live snapshots of every process but `excludeId`; expired ones are dropped from the index. */
export async function readSnapshots(redis: Redis, prefix: string, excludeId?: string): Promise<MetricsJson[]> {
  const ids = (await redis.smembers(indexKey(prefix))).filter((id) => id !== excludeId);
  if (ids.length === 0) return [];
  const values = await redis.mget(ids.map((id) => snapshotKey(prefix, id)));
  const gone = ids.filter((_, i) => values[i] === null);
  if (gone.length > 0) await redis.srem(indexKey(prefix), ...gone);
  const snapshots: MetricsJson[] = [];
  for (const value of values) {
    if (value === null) continue;
    try {
      snapshots.push(JSON.parse(value) as MetricsJson);
    } catch {
      // A snapshot that does not parse is skipped rather than failing the whole scrape.
    }
  }
  return snapshots;
}

export interface MetricsPublisher {
  publishNow(): Promise<void>;
  /** Publishes one last snapshot, so a process that stops still counts until its TTL ends. */
  close(): Promise<void>;
}

export interface PublisherOptions {
  metrics: Metrics;
  redisUrl: string;
  /** Makes the publisher's own connection (a Sentinel or Cluster client); `redisUrl` when absent. */
  connect?: () => Redis;
  prefix: string;
  intervalMs: number;
  onError?: (err: Error) => void;
}

/**
 * This process's instruments, published on the configuration's Redis, prefix and period; `via`
 * gives the connection and key prefix when Redis is a Sentinel or Cluster deployment.
 */
export function publishProcessMetrics(
  config: { REDIS_URL: string; QUEUE_PREFIX: string; METRICS_PUBLISH_MS: number },
  logger: { debug(msg: string, fields?: Record<string, unknown>): void },
  via?: { connect: () => Redis; prefix: string },
): MetricsPublisher {
  return startMetricsPublisher({
    metrics: processMetrics(),
    redisUrl: config.REDIS_URL,
    ...(via ? { connect: via.connect } : {}),
    prefix: via?.prefix ?? config.QUEUE_PREFIX,
    intervalMs: config.METRICS_PUBLISH_MS,
    onError: (err) => logger.debug("metrics publish failed", { err }),
  });
}

/** Publishes a process's snapshot every `intervalMs`; it lives three intervals. */
export function startMetricsPublisher(opts: PublisherOptions): MetricsPublisher {
  const ttlMs = opts.intervalMs * 3;
  // One retry per command: a Redis outage must not pile snapshots up in memory.
  const redis =
    opts.connect?.() ??
    new Redis(opts.redisUrl, {
      connectTimeout: 2_000,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
  redis.on("error", (err) => opts.onError?.(err));
  const publishNow = () => writeSnapshot(redis, opts.prefix, opts.metrics, ttlMs);
  const timer = setInterval(() => {
    publishNow().catch((err: unknown) => opts.onError?.(err as Error));
  }, opts.intervalMs);
  timer.unref();
  void publishNow().catch((err: unknown) => opts.onError?.(err as Error));
  return {
    publishNow,
    async close() {
      clearInterval(timer);
      // Shutdown must not wait on a Redis that is away: the last snapshot gets one second.
      let deadline: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => {
        deadline = setTimeout(resolve, 1_000);
      });
      await Promise.race([publishNow().catch((err: unknown) => opts.onError?.(err as Error)), late]);
      clearTimeout(deadline);
      redis.disconnect();
    },
  };
}

export interface ScrapeOptions {
  /** This process's instruments, read live rather than from its last snapshot. */
  local: Metrics;
  redis: Redis;
  prefix: string;
  /** Registries computed at scrape time (queue sizes, failures), added as they are. */
  extra?: Registry[];
}

/** The whole system's metrics in Prometheus text format: every live process added up. */
export async function scrapeMetrics(opts: ScrapeOptions): Promise<string> {
  const remote = await readSnapshots(opts.redis, opts.prefix, opts.local.instanceId);
  const snapshots = [await opts.local.registry.getMetricsAsJSON(), ...remote];
  const own = new Registry();
  new Gauge({
    name: "switchyard_metrics_processes",
    help: "Processes whose metrics this scrape adds up (this one and every live snapshot in Redis).",
    registers: [own],
  }).set(snapshots.length);
  const registries = [AggregatorRegistry.aggregate(snapshots), own, ...(opts.extra ?? [])];
  const texts = await Promise.all(registries.map((r) => r.metrics()));
  return `${texts.map((t) => t.trimEnd()).join("\n")}\n`;
}
