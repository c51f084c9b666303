// SIGTERM to every process type, each through its real main.ts as a child process: readiness
// fails first, and the process exits within SHUTDOWN_GRACE_MS plus 5 s, with Redis and Postgres
// up, with Redis killed under it, with Redis never reachable, and with Postgres killed under it.
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { WORK_QUEUES } from "@switchyard/events";
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  freePort,
  type PostgresServer,
  type RedisServer,
  startPostgresServer,
  startRedisServer,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Proc, run } from "./testing/processes.ts";

const entry = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const ROLES = ["ingest", "admin", ...WORK_QUEUES] as const;
type Role = (typeof ROLES)[number];
const GRACE_MS = 5_000;
const BOUND_MS = GRACE_MS + 5_000;
const ADMIN_TOKEN = "sy_admin_shutdown_test_0123456789abcdef";

interface Running {
  role: Role;
  proc: Proc;
  /** ingest's own /readyz, or the health port's. */
  base: string;
}

/** A request's status, or undefined without an answer; readiness allows itself a second, this three. */
async function status(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return undefined;
  }
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Every role as its own process, each on a port it picked itself (0) and logged: a port chosen
 * here and freed before the child binds it could be taken meanwhile by another test's process,
 * whose /readyz would then answer for this one.
 */
async function startAll(env: Record<string, string>): Promise<Running[]> {
  return Promise.all(
    ROLES.map(async (role) => {
      const ports: Record<string, string> = role === "ingest" ? { INGEST_PORT: "0" } : { HEALTH_PORT: "0" };
      if (role === "admin") ports.ADMIN_PORT = "0";
      const proc = run(entry(`../../${role}/src/main.ts`), { ...env, ...ports });
      const port = await loggedPort(proc, role === "ingest" ? "ingest listening" : "health listening");
      return { role, proc, base: `http://127.0.0.1:${port}` };
    }),
  );
}

/** The port in the log line holding `msg`. */
async function loggedPort(proc: Proc, msg: string): Promise<number> {
  await proc.waitFor(`"${msg}"`);
  const line = proc
    .output()
    .split("\n")
    .find((l) => l.includes(`"${msg}"`));
  const port = (JSON.parse(line ?? "{}") as { port?: unknown }).port;
  if (typeof port !== "number" || port === 0) throw new Error(`no port in "${msg}":\n${proc.output()}`);
  return port;
}

/** Until every one's /readyz answers `want`; one that exits meanwhile fails with its output. */
async function allAnswer(procs: Running[], want: number, what: string): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      let last: number | undefined;
      try {
        await until(async () => {
          if (p.proc.child.exitCode !== null || p.proc.child.signalCode !== null) {
            const how = p.proc.child.exitCode ?? p.proc.child.signalCode;
            throw new Error(`${p.role} exited (${how}):\n${p.proc.output()}`);
          }
          last = await status(`${p.base}/readyz`);
          return last === want;
        }, `${p.role} ${what}`);
      } catch (err) {
        if (!(err instanceof Error) || err.message.includes("exited")) throw err;
        throw new Error(`${err.message} (last answer ${last ?? "none"}):\n${p.proc.output()}`);
      }
    }),
  );
}
const allReady = (procs: Running[]) => allAnswer(procs, 200, "ready");

/** SIGTERM to each at once; how long each took to exit, and its code. */
async function terminate(procs: Running[]): Promise<Map<Role, { ms: number; code: number | null }>> {
  const results = await Promise.all(
    procs.map(async (p) => {
      const exited = once(p.proc.child, "exit");
      const start = performance.now();
      p.proc.child.kill("SIGTERM");
      const [code] = (await exited) as [number | null];
      return [p.role, { ms: Math.round(performance.now() - start), code }] as const;
    }),
  );
  return new Map(results);
}

const measured: string[] = [];
function record(scenario: string, times: Map<Role, { ms: number; code: number | null }>) {
  const cells = [...times].map(([role, t]) => `${role} ${t.ms} ms (exit ${t.code})`);
  measured.push(`${scenario}: ${cells.join(", ")}`);
}

describe("SIGTERM to every process type", () => {
  let testDb: TestDatabase;
  const prefix = uniquePrefix("shutdown");
  const procs: Proc[] = [];
  const base = (): Record<string, string> => ({
    DATABASE_URL: testDb.url,
    QUEUE_PREFIX: prefix,
    ADMIN_TOKEN,
    APP_API_KEYS: "sy_shutdown_test_key_0123",
    SHUTDOWN_GRACE_MS: String(GRACE_MS),
  });
  const track = (running: Running[]) => {
    procs.push(...running.map((r) => r.proc));
    return running;
  };

  beforeAll(async () => {
    testDb = await createTestDatabase("shutdown");
    const migrate = run(entry("./migrate.ts"), { DATABASE_URL: testDb.url });
    const [code] = await once(migrate.child, "exit");
    expect(code, migrate.output()).toBe(0);
  });
  afterAll(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
    await testDb?.drop();
    await deleteKeysWithPrefix(prefix);
    if (measured.length > 0) process.stdout.write(`\nexit times after SIGTERM\n${measured.join("\n")}\n`);
  });

  it("fails /readyz (503) from SIGTERM until it exits, /healthz still 200, then exits 0", async () => {
    const delay = 1_500;
    const running = track(await startAll({ ...base(), REDIS_URL: TEST_REDIS_URL, SHUTDOWN_DELAY_MS: String(delay) }));
    await allReady(running);
    const watched = running.map(async (p) => {
      const exited = once(p.proc.child, "exit");
      const start = performance.now();
      p.proc.child.kill("SIGTERM");
      const seen: (number | undefined)[] = [];
      let healthz: number | undefined;
      while (p.proc.child.exitCode === null) {
        const s = await status(`${p.base}/readyz`);
        if (s === undefined) break; // the listener is closed
        seen.push(s);
        if (s === 503 && healthz === undefined) healthz = await status(`${p.base}/healthz`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const [code] = (await exited) as [number | null];
      return { role: p.role, seen, healthz, code, ms: Math.round(performance.now() - start), out: p.proc.output() };
    });
    const results = await Promise.all(watched);
    record("Redis and Postgres up", new Map(results.map((r) => [r.role, r])));
    for (const r of results) {
      // The first probe may beat the signal's handler; from the first 503 on, never ready again.
      const first503 = r.seen.indexOf(503);
      expect(first503, `${r.role} never answered 503: ${r.seen.join(",")}`).toBeGreaterThanOrEqual(0);
      expect(first503, r.role).toBeLessThanOrEqual(1);
      expect(
        r.seen.slice(first503).every((s) => s === 503),
        `${r.role}: ${r.seen.join(",")}`,
      ).toBe(true);
      expect(r.healthz, r.role).toBe(200);
      expect(r.code, r.out).toBe(0);
      expect(r.ms, r.role).toBeGreaterThanOrEqual(delay);
      expect(r.ms, r.role).toBeLessThan(BOUND_MS);
    }
  }, 60_000);

  describe("with Redis killed under them", () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedisServer();
    });
    afterAll(() => redis.stop());

    it("each exits within its grace plus 5 s", async () => {
      const running = track(await startAll({ ...base(), REDIS_URL: redis.url }));
      await allReady(running);
      await redis.stop();
      // Each has noticed: its readiness fails (its Redis ping does).
      await allAnswer(running, 503, "unready");
      const times = await terminate(running);
      record("Redis killed under them", times);
      for (const [role, t] of times) {
        expect(t.ms, role).toBeLessThan(BOUND_MS);
        // Nothing was left to wait for: each stopped by itself, not cut at the grace.
        expect(t.code, `${role}: ${running.find((r) => r.role === role)?.proc.output()}`).toBe(0);
      }
    }, 60_000);
  });

  it("with Redis never reachable, each exits within its grace plus 5 s", async () => {
    const running = track(await startAll({ ...base(), REDIS_URL: `redis://127.0.0.1:${await freePort()}` }));
    await Promise.all(
      running.map((p) => p.proc.waitFor(p.role === "ingest" ? "ingest listening" : "health listening")),
    );
    // Workers and admin wait for Redis to start; until they have, they are not ready.
    for (const p of running) expect(await status(`${p.base}/readyz`), p.role).toBe(503);
    const times = await terminate(running);
    record("Redis never reachable", times);
    for (const [role, t] of times) expect(t.ms, role).toBeLessThan(BOUND_MS);
  }, 60_000);

  describe("with Postgres killed under them", () => {
    let pg: PostgresServer;
    beforeAll(async () => {
      pg = await startPostgresServer();
      const migrate = run(entry("./migrate.ts"), { DATABASE_URL: pg.url });
      const [code] = await once(migrate.child, "exit");
      expect(code, migrate.output()).toBe(0);
    });
    afterAll(() => pg.destroy());

    it("each exits within its grace plus 5 s", async () => {
      const running = track(await startAll({ ...base(), DATABASE_URL: pg.url, REDIS_URL: TEST_REDIS_URL }));
      await allReady(running);
      await pg.kill();
      await allAnswer(running, 503, "unready");
      const times = await terminate(running);
      record("Postgres killed under them", times);
      for (const [role, t] of times) expect(t.ms, role).toBeLessThan(BOUND_MS);
    }, 90_000);
  });
});
