import { Cluster, type ClusterOptions, Redis, type RedisOptions } from "ioredis";

export type RedisRole = "producer" | "worker";

/**
 * Where Redis is: one address (`REDIS_URL`, a host or a DNS name a managed service moves on
 * failover), a Sentinel-managed master, or a Cluster. A bare URL string is the first.
 */
export interface RedisTarget {
  url: string;
  /** Seed nodes, `host:port`: an ioredis Cluster. */
  clusterNodes?: readonly string[];
  /** Sentinels, `host:port`: ioredis asks them for `sentinelMaster`'s address. */
  sentinels?: readonly string[];
  sentinelMaster?: string;
  sentinelPassword?: string | undefined;
}

export interface RedisTargetConfig {
  REDIS_URL: string;
  REDIS_CLUSTER_NODES?: readonly string[];
  REDIS_SENTINELS?: readonly string[];
  REDIS_SENTINEL_MASTER?: string;
  REDIS_SENTINEL_PASSWORD?: string | undefined;
}

export function redisTargetOf(config: RedisTargetConfig): RedisTarget {
  return {
    url: config.REDIS_URL,
    clusterNodes: config.REDIS_CLUSTER_NODES ?? [],
    sentinels: config.REDIS_SENTINELS ?? [],
    sentinelMaster: config.REDIS_SENTINEL_MASTER ?? "mymaster",
    sentinelPassword: config.REDIS_SENTINEL_PASSWORD,
  };
}

const targetOf = (target: RedisTarget | string): RedisTarget => (typeof target === "string" ? { url: target } : target);
export const isCluster = (target: RedisTarget | string) => (targetOf(target).clusterNodes?.length ?? 0) > 0;

/**
 * Key prefixes. On one Redis (or Sentinel) they are QUEUE_PREFIX as they always were. On a
 * Cluster every BullMQ queue's keys share one hash tag of their own (`<prefix>:{crm-sync}:…`, as
 * BullMQ requires for its multi-key scripts), so queues spread over the masters, and Switchyard's
 * own keys (alerts, failure watch, stuck checker, metrics) sit under `{<prefix>}:…`, one slot,
 * so its Lua scripts, MULTIs and MGETs never cross slots. Braces in QUEUE_PREFIX are dropped there.
 */
export interface KeyConfig extends RedisTargetConfig {
  QUEUE_PREFIX: string;
}

export function queuePrefixOf(prefix: string, queue: string, clustered: boolean): string {
  return clustered ? `${prefix.replace(/[{}]/g, "")}:{${queue}}` : prefix;
}

/** BullMQ's prefix for one queue under this configuration. */
export const queuePrefix = (config: KeyConfig, queue: string) =>
  queuePrefixOf(config.QUEUE_PREFIX, queue, isCluster(redisTargetOf(config)));

/** The prefix of Switchyard's own keys under this configuration. */
export function keyPrefix(config: KeyConfig): string {
  return isCluster(redisTargetOf(config)) ? `{${config.QUEUE_PREFIX.replace(/[{}]/g, "")}}` : config.QUEUE_PREFIX;
}

/** A failover can leave a name pointing at a demoted replica: reconnect (and resend) on READONLY. */
const reconnectOnReadonly = (err: Error) => (err.message.startsWith("READONLY") ? 2 : false);

function hostPort(node: string): { host: string; port: number } {
  const at = node.lastIndexOf(":");
  return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
}

/** What REDIS_URL lends to Sentinel and Cluster connections: credentials, database, TLS. */
function credentialsOf(url: string): RedisOptions {
  const parsed = new URL(url);
  const db = Number(parsed.pathname.slice(1) || 0);
  return {
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db ? { db } : {}),
    ...(parsed.protocol === "rediss:" ? { tls: {} } : {}),
  };
}

/**
 * Producers give up on a command after one reconnect attempt, so an outage cannot pile requests
 * up in memory; the enqueue deadline in dispatch() turns that into a prompt 503, and the relay
 * catches up afterwards. Workers wait forever, as BullMQ requires for blocking connections.
 * The offline queue stays on for both: BullMQ's own connection set-up relies on it. Reconnects
 * back off to 2 s, whatever the topology.
 *
 * The client is typed as `Redis`: a Cluster answers the same commands (ioredis' Commander),
 * routes each by its key's slot and follows MOVED/ASK itself, so no caller sees them.
 */
export function createRedis(target: RedisTarget | string, role: RedisRole): Redis {
  const t = targetOf(target);
  const perRole: RedisOptions =
    role === "producer" ? { maxRetriesPerRequest: 1 } : { maxRetriesPerRequest: null, enableReadyCheck: true };
  const backoff = (times: number) => Math.min(times * 200, 2_000);
  if (t.clusterNodes && t.clusterNodes.length > 0) {
    const options: ClusterOptions = {
      // BullMQ's documented Cluster set-up: ready check on, offline queue on, workers never give up.
      enableReadyCheck: true,
      enableOfflineQueue: true,
      clusterRetryStrategy: backoff,
      // While a master is down and its replica not yet promoted, a command for its slots waits and
      // retries here; the producer's enqueue deadline still answers 503 within 2 s.
      retryDelayOnFailover: 200,
      // A master just killed is still named in MOVED replies until its replica is promoted
      // (cluster-node-timeout, then an election): waiting between redirections, up to about 13 s,
      // rides that out instead of failing the command with MOVED after 16 instant tries.
      retryDelayOnMoved: 200,
      maxRedirections: 64,
      retryDelayOnClusterDown: 300,
      retryDelayOnTryAgain: 200,
      slotsRefreshTimeout: 2_000,
      slotsRefreshInterval: 2_000,
      redisOptions: {
        ...credentialsOf(t.url),
        connectTimeout: 2_000,
        ...perRole,
      },
    };
    return new Cluster(
      t.clusterNodes.map((n) => hostPort(n)),
      options,
    ) as unknown as Redis;
  }
  if (t.sentinels && t.sentinels.length > 0) {
    return new Redis({
      ...credentialsOf(t.url),
      sentinels: t.sentinels.map((n) => hostPort(n)),
      name: t.sentinelMaster ?? "mymaster",
      role: "master",
      ...(t.sentinelPassword ? { sentinelPassword: t.sentinelPassword } : {}),
      // ioredis' failover detector stays off: its +switch-master handler closes the connector,
      // and a reconnect asking the Sentinels at that moment ends the client for good ("Connection
      // is closed."). A killed or demoted master drops its clients, and READONLY reconnects.
      failoverDetector: false,
      sentinelRetryStrategy: backoff,
      connectTimeout: 2_000,
      ...perRole,
      retryStrategy: backoff,
      reconnectOnError: reconnectOnReadonly,
    });
  }
  return new Redis(t.url, {
    lazyConnect: false,
    connectTimeout: 2_000,
    ...perRole,
    retryStrategy: backoff,
    reconnectOnError: reconnectOnReadonly,
  });
}

/** One round trip with a deadline, for readiness checks and the start-up probe. */
export async function pingRedis(target: RedisTarget | string, timeoutMs = 2_000): Promise<void> {
  const t = targetOf(target);
  if (isCluster(t) || (t.sentinels?.length ?? 0) > 0) {
    const probe = createRedis(t, "producer");
    probe.on("error", () => {});
    try {
      await withTimeout(probe.ping(), timeoutMs, "redis ping");
    } finally {
      probe.disconnect();
    }
    return;
  }
  const probe = new Redis(t.url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  probe.on("error", () => {});
  try {
    await withTimeout(
      (async () => {
        await probe.connect();
        await probe.ping();
      })(),
      timeoutMs,
      "redis ping",
    );
  } finally {
    probe.disconnect();
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * An `error` listener that logs the first error, then at most one line per `everyMs` carrying how
 * many it held back: a Redis away for a minute is a few lines, not thousands.
 */
export function throttledErrors(
  log: (msg: string, fields: Record<string, unknown>) => void,
  msg: string,
  everyMs = 5_000,
) {
  let last = 0;
  let held = 0;
  return (err: Error) => {
    const now = Date.now();
    if (now - last < everyMs) {
      held++;
      return;
    }
    last = now;
    log(msg, held > 0 ? { err, heldBack: held } : { err });
    held = 0;
  };
}

/** How a process publishes its metrics under this configuration: its connection and key prefix. */
export function metricsVia(config: KeyConfig): { connect: () => Redis; prefix: string } {
  return { connect: () => createRedis(redisTargetOf(config), "producer"), prefix: keyPrefix(config) };
}

/**
 * A plain REDIS_URL that reaches a Cluster node gets MOVED for most keys: say once, at start,
 * which variable to set instead. Never blocks a start (a Redis still away is asked when it comes).
 */
export function warnIfClusterNode(
  redis: Redis,
  target: RedisTarget,
  warn: (msg: string, fields: Record<string, unknown>) => void,
): void {
  if (isCluster(target) || (target.sentinels?.length ?? 0) > 0) return;
  const check = () => {
    redis
      .info("cluster")
      .then((info) => {
        if (/cluster_enabled:1/.test(info)) {
          warn("REDIS_URL reaches a Redis Cluster node: set REDIS_CLUSTER_NODES, or enqueues fail with MOVED", {});
        }
      })
      .catch(() => {});
  };
  if (redis.status === "ready") check();
  else redis.once("ready", check);
}
