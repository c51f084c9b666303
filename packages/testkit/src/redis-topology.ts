import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { waitForPing } from "./redis.ts";

const exec = promisify(execFile);

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("redis command timed out")), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** One redis-server (or sentinel) this test started, killed with SIGKILL when told. */
export interface RedisProcess {
  port: number;
  child: ChildProcess;
  kill(): Promise<void>;
}

async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** `count` loopback ports that are free, and (for Cluster's bus) so is each port + 10000. */
export async function sparePorts(count: number, withBus = false): Promise<number[]> {
  const ports: number[] = [];
  let candidate = 20_000 + Math.floor(Math.random() * 20_000);
  for (let tries = 0; ports.length < count && tries < 2_000; tries++, candidate += 7) {
    if (candidate > 45_000) candidate = 20_000 + (candidate % 1_000);
    if (ports.includes(candidate)) continue;
    if (!(await portFree(candidate))) continue;
    if (withBus && !(await portFree(candidate + 10_000))) continue;
    ports.push(candidate);
  }
  if (ports.length < count) throw new Error("no spare ports");
  return ports;
}

function spawnNode(port: number, args: string[]): RedisProcess {
  const child = spawn("redis-server", args, { stdio: "ignore" });
  return {
    port,
    child,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
  };
}

const common = (port: number, dir: string) => [
  "--port",
  String(port),
  "--bind",
  "127.0.0.1",
  "--dir",
  dir,
  "--save",
  "",
  "--appendonly",
  "yes",
  "--appendfsync",
  "everysec",
  "--maxmemory-policy",
  "noeviction",
];

/** A one-off command against a node, with a deadline. */
export async function onNode<T>(port: number, run: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(port, "127.0.0.1", { maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 1_000 });
  r.on("error", () => {});
  try {
    return await withDeadline(run(r), 3_000);
  } finally {
    r.disconnect();
  }
}

export interface ClusterNodeInfo {
  id: string;
  port: number;
  master: boolean;
  failed: boolean;
  slots: [number, number][];
}

export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  return text
    .trim()
    .split("\n")
    .map((line) => {
      const [id = "", addr = "", flags = "", , , , , , ...slots] = line.split(" ");
      return {
        id,
        port: Number(addr.split("@")[0]?.split(":")[1]),
        master: flags.includes("master"),
        failed: flags.split(",").some((f) => f === "fail" || f === "fail?"),
        slots: slots
          .filter((s) => !s.startsWith("["))
          .map((s) => {
            const [a, b] = s.split("-").map(Number);
            return [a ?? 0, b ?? a ?? 0] as [number, number];
          }),
      };
    });
}

export interface TestCluster {
  nodes: RedisProcess[];
  seeds: string;
  /** The live master serving `slot`, asked of any live node. */
  masterOf(slot: number): Promise<ClusterNodeInfo>;
  keyslot(key: string): Promise<number>;
  stop(): Promise<void>;
}

/** Six `--cluster-enabled yes` servers made one cluster of three masters, each with a replica. */
export async function startRedisCluster(dir: string): Promise<TestCluster> {
  const ports = await sparePorts(6, true);
  const nodes = ports.map((port) => {
    const d = join(dir, String(port));
    mkdirSync(d, { recursive: true });
    return spawnNode(port, [
      ...common(port, d),
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      join(d, "nodes.conf"),
      "--cluster-node-timeout",
      "2000",
      // A replica however far behind may take over: a test has no operator to decide.
      "--cluster-replica-validity-factor",
      "0",
    ]);
  });
  const live = () => nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
  const cluster: TestCluster = {
    nodes,
    seeds: ports.map((p) => `127.0.0.1:${p}`).join(","),
    async masterOf(slot) {
      for (const node of live()) {
        try {
          const text = await onNode(node.port, (r) => r.call("CLUSTER", "NODES") as Promise<string>);
          const owner = parseClusterNodes(text).find(
            (n) => n.master && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b),
          );
          if (owner) return owner;
        } catch {
          // ask the next node
        }
      }
      throw new Error(`no live master for slot ${slot}`);
    },
    async keyslot(key) {
      const [node] = live();
      if (!node) throw new Error("no live node");
      return onNode(node.port, (r) => r.call("CLUSTER", "KEYSLOT", key) as Promise<number>);
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.kill()));
    },
  };
  try {
    await Promise.all(ports.map((port) => waitForPing(port, 200, `redis on ${port} did not start`)));
    await exec(
      "redis-cli",
      ["--cluster", "create", ...ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "1", "--cluster-yes"],
      { timeout: 60_000 },
    );
    for (let i = 0; ; i++) {
      const states = await Promise.all(
        ports.map((p) => onNode(p, (r) => r.call("CLUSTER", "INFO") as Promise<string>).catch(() => "")),
      );
      if (states.every((s) => s.includes("cluster_state:ok"))) break;
      if (i > 300) throw new Error("the cluster never reached cluster_state:ok");
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

export interface TestSentinels {
  primary: RedisProcess;
  replica: RedisProcess;
  sentinels: RedisProcess[];
  /** `host:port,...` for REDIS_SENTINELS. */
  list: string;
  master: string;
  /** The port the Sentinels name as the master now. */
  masterPort(): Promise<number | undefined>;
  stop(): Promise<void>;
}

/** A primary, a replica of it and three Sentinels watching them (quorum 2, 2 s to call it down). */
export async function startSentinelSet(dir: string, master = "mymaster"): Promise<TestSentinels> {
  const [p, r, ...s] = await sparePorts(5);
  if (p === undefined || r === undefined) throw new Error("no ports");
  for (const port of [p, r, ...s]) mkdirSync(join(dir, String(port)), { recursive: true });
  const primary = spawnNode(p, common(p, join(dir, String(p))));
  const replica = spawnNode(r, [...common(r, join(dir, String(r))), "--replicaof", "127.0.0.1", String(p)]);
  const sentinels = s.map((port) => {
    const conf = join(dir, String(port), "sentinel.conf");
    writeFileSync(
      conf,
      [
        `port ${port}`,
        "bind 127.0.0.1",
        `dir ${join(dir, String(port))}`,
        `sentinel monitor ${master} 127.0.0.1 ${p} 2`,
        `sentinel down-after-milliseconds ${master} 2000`,
        `sentinel failover-timeout ${master} 10000`,
        `sentinel parallel-syncs ${master} 1`,
        "",
      ].join("\n"),
    );
    return spawnNode(port, [conf, "--sentinel"]);
  });
  const set: TestSentinels = {
    primary,
    replica,
    sentinels,
    master,
    list: s.map((port) => `127.0.0.1:${port}`).join(","),
    async masterPort() {
      for (const sentinel of sentinels) {
        try {
          const addr = (await onNode(sentinel.port, (c) => c.call("SENTINEL", "get-master-addr-by-name", master))) as
            | string[]
            | null;
          if (addr?.[1]) return Number(addr[1]);
        } catch {
          // the next one
        }
      }
      return undefined;
    },
    async stop() {
      await Promise.all([primary, replica, ...sentinels].map((n) => n.kill()));
    },
  };
  try {
    await Promise.all([p, r, ...s].map((port) => waitForPing(port, 200, `redis on ${port} did not start`)));
    // Before any fault: the replica in sync and every Sentinel knowing the replica and the others,
    // or a failover could not be agreed.
    for (let i = 0; ; i++) {
      const info: string = await onNode(r, (c) => c.info("replication"));
      const known = await Promise.all(
        sentinels.map((sn) =>
          onNode(sn.port, async (c) => {
            const replicas = (await c.call("SENTINEL", "replicas", master)) as unknown[];
            const others = (await c.call("SENTINEL", "sentinels", master)) as unknown[];
            return replicas.length >= 1 && others.length >= 2;
          }).catch(() => false),
        ),
      );
      if (info.includes("master_link_status:up") && known.every(Boolean)) break;
      if (i > 300) throw new Error("the Sentinels never saw the replica and each other");
      await new Promise((res) => setTimeout(res, 100));
    }
  } catch (err) {
    await set.stop();
    throw err;
  }
  return set;
}

/** A primary and its replica, without Sentinels: what a managed Redis runs behind its one name. */
export interface TestReplicatedPair {
  primary: RedisProcess;
  replica: RedisProcess;
  /** The replica becomes a primary (`REPLICAOF NO ONE`), as the provider's failover does. */
  promote(): Promise<void>;
  stop(): Promise<void>;
}

export async function startReplicatedPair(dir: string): Promise<TestReplicatedPair> {
  const [p, r] = await sparePorts(2);
  if (p === undefined || r === undefined) throw new Error("no ports");
  for (const port of [p, r]) mkdirSync(join(dir, String(port)), { recursive: true });
  const primary = spawnNode(p, common(p, join(dir, String(p))));
  const replica = spawnNode(r, [...common(r, join(dir, String(r))), "--replicaof", "127.0.0.1", String(p)]);
  const pair: TestReplicatedPair = {
    primary,
    replica,
    async promote() {
      await onNode(r, (c) => c.call("REPLICAOF", "NO", "ONE"));
    },
    async stop() {
      await Promise.all([primary.kill(), replica.kill()]);
    },
  };
  try {
    await Promise.all([p, r].map((port) => waitForPing(port, 200, `redis on ${port} did not start`)));
    for (let i = 0; ; i++) {
      const info: string = await onNode(r, (c) => c.info("replication"));
      if (info.includes("master_link_status:up")) break;
      if (i > 300) throw new Error("the replica never synced");
      await new Promise((res) => setTimeout(res, 100));
    }
  } catch (err) {
    await pair.stop();
    throw err;
  }
  return pair;
}
