import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import { Redis } from "ioredis";

export const TEST_REDIS_URL = "redis://127.0.0.1:6379";

/** A key prefix no other test file uses, so suites share one Redis without colliding. */
export function uniquePrefix(label: string): string {
  return `sytest-${label}-${randomBytes(4).toString("hex")}`;
}

export async function deleteKeysWithPrefix(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  if (!address || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** A private redis-server on a spare port, which a test may stop and start again. */
export interface RedisServer {
  url: string;
  port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * With `dir`, the server keeps an append-only file there (fsync on every write), so a restart
 * keeps its data as a production Redis with AOF does; without it, a restart starts empty.
 */
export async function startRedisServer(opts: { dir?: string } = {}): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  // A killed process keeps exitCode null and sets signalCode instead.
  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const persistence = opts.dir
    ? ["--dir", opts.dir, "--appendonly", "yes", "--appendfsync", "always", "--save", ""]
    : ["--save", "", "--appendonly", "no"];
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      // Already up: a second server on the same port would fail to bind, yet take the handle that
      // stop() kills, and the first would outlive the test.
      if (running()) return;
      child = spawn(
        "redis-server",
        ["--port", String(port), "--bind", "127.0.0.1", "--maxmemory-policy", "noeviction", ...persistence],
        {
          stdio: "ignore",
        },
      );
      await waitForPing(port, 100, `redis-server did not start on port ${port}`);
    },
    async stop() {
      if (!child || !running()) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
  };
  await server.start();
  return server;
}

/** Waits until a redis-server on this loopback port answers PING, every 50 ms, `attempts` times. */
export async function waitForPing(port: number, attempts: number, failure: string): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    const probe = new Redis(port, "127.0.0.1", {
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    probe.on("error", () => {});
    try {
      await probe.connect();
      await probe.ping();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      probe.disconnect();
    }
  }
  throw new Error(failure);
}
