import { once } from "node:events";
import { fileURLToPath } from "node:url";
import {
  deleteKeysWithPrefix,
  freePort,
  type HalfOpenProxy,
  type PostgresServer,
  startHalfOpenProxy,
  startPostgresServer,
  TEST_REDIS_URL,
  uniquePrefix,
} from "@switchyard/testkit";
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { type Proc, run } from "./testing/processes.ts";
import { steadyStripeTraffic, type Traffic, untilAllProcessed } from "./testing/steady-traffic.ts";

const entry = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const SECRET = "whsec_postgres_outage_0123456789";
const RATE_PER_S = 20;
const ANSWER_WITHIN_MS = 3_000;
const MAX_LOG_BYTES = 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Postgres away under steady traffic", () => {
  let pg: PostgresServer | undefined;
  let proxy: HalfOpenProxy | undefined;
  const procs: Proc[] = [];
  const prefixes: string[] = [];
  afterEach(async () => {
    for (const p of procs.splice(0)) if (p.child.exitCode === null) p.child.kill("SIGKILL");
    await proxy?.close();
    await pg?.destroy();
    for (const prefix of prefixes.splice(0)) await deleteKeysWithPrefix(prefix).catch(() => {});
  });

  /** Migrations, then ingest and a billing-sync worker as processes; ingest reaches Postgres at `ingestDbUrl`. */
  async function start(server: PostgresServer, ingestDbUrl: string, extra: Record<string, string> = {}) {
    const port = await freePort();
    const prefix = uniquePrefix("pgout");
    prefixes.push(prefix);
    const env = {
      NODE_ENV: "test",
      DATABASE_URL: server.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      STRIPE_WEBHOOK_SECRET: SECRET,
      INGEST_PORT: String(port),
      RELAY_INTERVAL_MS: "500",
      RELAY_GRACE_MS: "2000",
      RETRY_BACKOFF_MS: "200",
      RETRY_ATTEMPTS: "30",
      LOG_LEVEL: "info",
    };
    const migrate = run(entry("./migrate.ts"), env);
    const [code] = await once(migrate.child, "exit");
    expect(code, migrate.output()).toBe(0);
    const ingest = run(entry("../../ingest/src/main.ts"), { ...env, ...extra, DATABASE_URL: ingestDbUrl });
    const worker = run(entry("../../billing-sync/src/main.ts"), env);
    procs.push(ingest, worker);
    await Promise.all([ingest.waitFor("ingest listening"), worker.waitFor("worker started")]);
    return { base: `http://127.0.0.1:${port}`, ingest, worker };
  }

  /** What both runs must show: prompt, honest answers; nothing lost; nothing of a body in any log. */
  async function expectServedAndClean(server: PostgresServer, traffic: Traffic, logs: [string, Proc][]) {
    const sql = postgres(server.url, { max: 1, onnotice: () => {} });
    try {
      // Everything accepted (all of it, in the end) is processed: by its request's own enqueue,
      // or by the relay for what a late insert recorded while the answer was a 503.
      const open = await untilAllProcessed(sql);
      const [total] = await sql`select count(*)::int as n from events`;
      const processed = await sql`select id from events where status = 'processed'`;
      const statuses = [...new Set(traffic.answers.map((a) => a.status))].sort();
      const unavailable = traffic.answers.filter((a) => a.status === 503);
      expect(
        statuses.every((s) => s === 200 || s === 202 || s === 503),
        statuses.join(),
      ).toBe(true);
      expect(Math.max(...traffic.answers.map((a) => a.ms))).toBeLessThan(ANSWER_WITHIN_MS);
      expect(unavailable.every((a) => a.retryAfter === "5" && a.code === "database_unavailable")).toBe(true);
      expect(traffic.accepted.size).toBe(traffic.events);
      expect(total?.n).toBe(traffic.events);
      expect(new Set(processed.map((r) => r.id))).toEqual(new Set(traffic.accepted.values()));
      expect(open).toBe(0);
      for (const [name, proc] of logs) {
        const log = proc.output();
        expect(Buffer.byteLength(log), name).toBeLessThan(MAX_LOG_BYTES);
        for (const line of log.trim().split("\n")) expect(() => JSON.parse(line), line).not.toThrow();
        expect(log, name).not.toMatch(/@example\.com|body-marker-/);
        expect(
          traffic.secrets.find((s) => log.includes(s)),
          name,
        ).toBeUndefined();
      }
    } finally {
      await sql.end();
    }
  }

  const summary = (what: string, traffic: Traffic, logs: [string, Proc][]) =>
    process.stdout.write(
      `${what}: ${traffic.events} events, ${traffic.answers.length} requests, statuses ` +
        `${[...new Set(traffic.answers.map((a) => a.status))].sort().join(",")}, ` +
        `${traffic.answers.filter((a) => a.status === 503).length} answered 503, slowest answer ` +
        `${Math.round(Math.max(...traffic.answers.map((a) => a.ms)))} ms, ` +
        `${logs.map(([name, p]) => `${name} log ${Buffer.byteLength(p.output())} bytes`).join(", ")}, readiness ` +
        `${traffic.ready.filter((r) => r.status === 503).length}/${traffic.ready.length} probes 503\n`,
    );

  it("stopped for 20 s: every request answered within 3 s (202, 200 or 503 + Retry-After), no body logged, everything processed once it is back", async () => {
    const BEFORE_MS = 3_000;
    const OUTAGE_MS = 20_000;
    pg = await startPostgresServer();
    const { base, ingest, worker } = await start(pg, pg.url);
    const traffic = steadyStripeTraffic({ base, secret: SECRET, ratePerS: RATE_PER_S, forMs: 26_000, label: "pgout" });
    await sleep(BEFORE_MS);
    await pg.stop();
    const stoppedAt = traffic.now();
    await sleep(OUTAGE_MS);
    // Postgres accepts connections before pg.start() returns, by more on a busy machine: the
    // window of readiness that must fail closes when the start begins.
    const startingAt = traffic.now();
    await pg.start();
    await traffic.done;

    const logs: [string, Proc][] = [
      ["ingest", ingest],
      ["billing-sync", worker],
    ];
    summary("postgres stopped 20 s", traffic, logs);
    expect(traffic.answers.filter((a) => a.status === 503).length).toBeGreaterThan(100);
    // Readiness failed while Postgres was away and came back by itself.
    const during = traffic.ready.filter((r) => r.at > stoppedAt + 2_000 && r.at + r.ms < startingAt);
    expect(during.length).toBeGreaterThan(10);
    expect(
      during.filter((r) => r.status !== 503),
      "readiness answers other than 503 while Postgres was stopped",
    ).toEqual([]);
    expect(traffic.ready.at(-1)?.status).toBe(200);
    await expectServedAndClean(pg, traffic, logs);
  }, 120_000);

  it("failed over behind the same address, its connections left half-open: the pool is replaced and ingest serves again by itself", async () => {
    const TIMEOUT_MS = 1_000;
    pg = await startPostgresServer();
    proxy = await startHalfOpenProxy({ host: "127.0.0.1", port: pg.port });
    const viaProxy = new URL(pg.url);
    viaProxy.port = String(proxy.port);
    // A small pool, and a burst first that opens each of its connections: every one is left
    // half-open, as a busy pool's would be (a pool with room to grow opens a working one).
    const { base, ingest } = await start(pg, viaProxy.toString(), {
      DATABASE_TIMEOUT_MS: String(TIMEOUT_MS),
      DATABASE_POOL_MAX: "2",
    });
    const traffic = steadyStripeTraffic({
      base,
      secret: SECRET,
      ratePerS: RATE_PER_S,
      forMs: 14_000,
      label: "pgfail",
      burst: 300,
    });
    await sleep(2_000);
    proxy.failover();
    const failedAt = traffic.now();
    await traffic.done;

    const logs: [string, Proc][] = [["ingest", ingest]];
    summary("postgres failover (half-open)", traffic, logs);
    expect(ingest.output()).toContain("database pool replaced");
    // Answered 503 while the old connections hung, then served again, once the pool was
    // replaced 5 x DATABASE_TIMEOUT_MS after the failover, with no restart.
    const unavailable = traffic.answers.filter((a) => a.status === 503);
    expect(unavailable.length).toBeGreaterThan(10);
    const lastRefused = Math.max(...unavailable.map((a) => a.at + a.ms));
    expect(lastRefused - failedAt).toBeLessThan(5 * TIMEOUT_MS + 2_000);
    const after = traffic.answers.filter((a) => a.at > lastRefused);
    expect(after.length).toBeGreaterThan(50);
    expect(after.every((a) => a.status === 202 || a.status === 200)).toBe(true);
    await expectServedAndClean(pg, traffic, logs);
  }, 120_000);
});
