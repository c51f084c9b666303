import { Redis } from "ioredis";

export type RedisRole = "producer" | "worker";

/**
 * Producers give up on a command after one reconnect attempt, so an outage cannot pile requests
 * up in memory; the enqueue deadline in dispatch() turns that into a prompt 503, and the relay
 * catches up afterwards. Workers wait forever, as BullMQ requires for blocking connections.
 * The offline queue stays on for both: BullMQ's own connection set-up relies on it.
 */
export function createRedis(url: string, role: RedisRole): Redis {
  return new Redis(url, {
    lazyConnect: false,
    connectTimeout: 2_000,
    ...(role === "producer" ? { maxRetriesPerRequest: 1 } : { maxRetriesPerRequest: null, enableReadyCheck: true }),
    retryStrategy: (times) => Math.min(times * 200, 2_000),
  });
}

/** One round trip with a deadline, for readiness checks and the start-up probe. */
export async function pingRedis(url: string, timeoutMs = 2_000): Promise<void> {
  const probe = new Redis(url, {
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
