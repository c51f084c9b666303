// Issue 19: a rolling restart of two ingest processes (their real main.ts) behind a small
// round-robin proxy that routes only to backends whose /readyz answered 200 at its last poll, as
// a load balancer or Kubernetes endpoints would. Under steady signed traffic, each ingest in turn
// gets SIGTERM (its SHUTDOWN_DELAY_MS well over the proxy's poll interval), exits, and a new one
// starts on the same port; no request may meet a connection error, and every accepted event is
// recorded exactly once.
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import {
  checkoutCompleted,
  createTestDatabase,
  deleteKeysWithPrefix,
  freePort,
  signStripe,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
} from "@switchyard/testkit";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Proc, run } from "./testing/processes.ts";

const entry = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const SECRET = "whsec_rolling_restart_0123456789";
const POLL_MS = 100;
const SHUTDOWN_DELAY_MS = 600;
const RATE_PER_S = 80;
const MAX_TRAFFIC_MS = 25_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Backend {
  port: number;
  ready: boolean;
}

interface Proxy {
  base: string;
  backends: Backend[];
  /** Requests the proxy could not forward: no ready backend (503), or the backend's connection failed (502). */
  failures: { status: number; port?: number; code?: string }[];
  /** Per backend, how many requests it was given. */
  routed: Map<number, number>;
  close(): Promise<void>;
}

/** Round-robin over the backends whose last /readyz poll answered 200; keep-alive to each. */
async function startProxy(ports: number[]): Promise<Proxy> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const backends: Backend[] = ports.map((port) => ({ port, ready: false }));
  const failures: Proxy["failures"] = [];
  const routed = new Map<number, number>(ports.map((p) => [p, 0]));
  let next = 0;
  let polling = true;

  const poll = async (b: Backend) => {
    while (polling) {
      const status = await new Promise<number | undefined>((resolve) => {
        // No agent: a probe's own short-lived connection, as a balancer's health check would use.
        const req = http.get({ host: "127.0.0.1", port: b.port, path: "/readyz", timeout: 500 }, (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        req.on("timeout", () => req.destroy(new Error("probe timed out")));
        req.on("error", () => resolve(undefined));
      });
      b.ready = status === 200;
      await sleep(POLL_MS);
    }
  };
  const polls = backends.map(poll);

  const server = http.createServer((req, res) => {
    const ready = backends.filter((b) => b.ready);
    if (ready.length === 0) {
      failures.push({ status: 503 });
      req.resume();
      res.writeHead(503, { "content-type": "text/plain", "x-proxy": "no-backend" }).end("no ready backend");
      return;
    }
    const b = ready[next++ % ready.length] as Backend;
    routed.set(b.port, (routed.get(b.port) ?? 0) + 1);
    const upstream = http.request(
      { host: "127.0.0.1", port: b.port, method: req.method, path: req.url, headers: req.headers, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (err: NodeJS.ErrnoException) => {
      // No retry, as a balancer would not retry a POST: any connection failure reaches the client.
      failures.push({ status: 502, port: b.port, code: err.code ?? err.message });
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain", "x-proxy": "upstream-error" });
      res.end(`upstream error: ${err.code ?? err.message}`);
    });
    req.pipe(upstream);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    backends,
    failures,
    routed,
    async close() {
      polling = false;
      await Promise.all(polls);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}

interface Answer {
  status: number;
  at: number;
  ms: number;
  retryAfter?: string | null;
  error?: string;
}

describe("a rolling restart of ingest behind a round-robin proxy", () => {
  let testDb: TestDatabase;
  let proxy: Proxy | undefined;
  const prefix = uniquePrefix("rolling");
  const procs: Proc[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase("rolling");
    const migrate = run(entry("./migrate.ts"), { DATABASE_URL: testDb.url });
    const [code] = await once(migrate.child, "exit");
    expect(code, migrate.output()).toBe(0);
  });
  afterAll(async () => {
    await proxy?.close();
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
    await testDb?.drop();
    await deleteKeysWithPrefix(prefix);
  });

  it("no request gets a connection error, and every accepted event is recorded once", async () => {
    const ports = [await freePort(), await freePort()];
    const env = (port: number): Record<string, string> => ({
      NODE_ENV: "test",
      LOG_LEVEL: "warn",
      DATABASE_URL: testDb.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      STRIPE_WEBHOOK_SECRET: SECRET,
      INGEST_PORT: String(port),
      SHUTDOWN_DELAY_MS: String(SHUTDOWN_DELAY_MS),
      SHUTDOWN_GRACE_MS: "10000",
    });
    const start = (port: number) => {
      const proc = run(entry("../../ingest/src/main.ts"), env(port));
      procs.push(proc);
      return proc;
    };
    const running = new Map<number, Proc>(ports.map((port) => [port, start(port)]));
    proxy = await startProxy(ports);
    const p = proxy;
    const untilReady = async (port: number, proc: Proc) => {
      const deadline = Date.now() + 20_000;
      while (!p.backends.find((b) => b.port === port)?.ready) {
        if (proc.child.exitCode !== null) throw new Error(`ingest on ${port} exited:\n${proc.output()}`);
        if (Date.now() > deadline) throw new Error(`ingest on ${port} never ready:\n${proc.output()}`);
        await sleep(50);
      }
    };
    await Promise.all(ports.map((port) => untilReady(port, running.get(port) as Proc)));

    // Steady traffic through the proxy: one new signed Stripe event every 1/RATE s, not waiting.
    const t0 = performance.now();
    const now = () => performance.now() - t0;
    const answers: Answer[] = [];
    const accepted = new Map<string, string>();
    const sent: string[] = [];
    let sending = true;
    const deliveries: Promise<void>[] = [];
    const deliver = async (i: number) => {
      const event = checkoutCompleted({ customer: `cus_rolling_${i}`, userId: `u-${i}`, plan: "pro" });
      sent.push(event.id);
      const { body, headers } = signStripe({ payload: event, secret: SECRET });
      const at = now();
      try {
        const res = await fetch(`${p.base}/webhooks/stripe`, {
          method: "POST",
          body,
          headers,
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        answers.push({ status: res.status, at, ms: now() - at, retryAfter: res.headers.get("retry-after") });
        if (res.status === 202 || res.status === 200) {
          const { eventId } = JSON.parse(text) as { eventId: string };
          accepted.set(event.id, eventId);
        }
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause;
        answers.push({ status: 0, at, ms: now() - at, error: cause?.code ?? String(err) });
      }
    };
    const sending$ = (async () => {
      for (let i = 0; sending && now() < MAX_TRAFFIC_MS; i++) {
        deliveries.push(deliver(i));
        await sleep(1_000 / RATE_PER_S);
      }
    })();

    // Roll: each in turn, SIGTERM, wait for its exit, a new one on the same port, until ready.
    const restarts: { port: number; exitMs: number; code: number | null; readyMs: number; servedAfter: number }[] = [];
    await sleep(1_000);
    for (const port of ports) {
      const old = running.get(port) as Proc;
      const exited = once(old.child, "exit");
      const t = performance.now();
      old.child.kill("SIGTERM");
      const [code] = (await exited) as [number | null];
      const exitMs = Math.round(performance.now() - t);
      expect(code, old.output()).toBe(0);
      // Its port is closed now: once the proxy has seen that, a 200 can only be the new process's.
      while (p.backends.find((b) => b.port === port)?.ready) await sleep(20);
      const fresh = start(port);
      running.set(port, fresh);
      await untilReady(port, fresh);
      const readyMs = Math.round(performance.now() - t);
      const before = p.routed.get(port) ?? 0;
      await sleep(1_000);
      restarts.push({ port, exitMs, code, readyMs, servedAfter: (p.routed.get(port) ?? 0) - before });
    }
    sending = false;
    await sending$;
    await Promise.all(deliveries);
    const trafficMs = Math.round(now());

    const sql = postgres(testDb.url, { max: 1, onnotice: () => {} });
    let rows: { source_event_id: string; id: string }[];
    try {
      rows = await sql`select id, source_event_id from events where source = 'stripe'`;
    } finally {
      await sql.end();
    }

    const byStatus = new Map<number, number>();
    for (const a of answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
    process.stdout.write(
      `\nrolling restart: ${answers.length} requests in ${trafficMs} ms, statuses ` +
        `${[...byStatus].map(([s, n]) => `${s}×${n}`).join(", ")}, proxy failures ${p.failures.length}, ` +
        `routed ${[...p.routed].map(([port, n]) => `${port}:${n}`).join(" ")}, slowest ` +
        `${Math.round(Math.max(...answers.map((a) => a.ms)))} ms, restarts ` +
        `${restarts.map((r) => `${r.port} exit ${r.exitMs} ms (code ${r.code}), ready again ${r.readyMs} ms, then served ${r.servedAfter}`).join("; ")}, ` +
        `${rows.length} events recorded\n`,
    );

    expect(restarts).toHaveLength(2);
    // Each new process took its share of the traffic once ready: the roll really moved it.
    for (const r of restarts) expect(r.servedAfter, `port ${r.port}`).toBeGreaterThan(RATE_PER_S / 4);
    expect(answers.length).toBe(sent.length);
    expect(answers.length).toBeGreaterThan(RATE_PER_S * 3);
    // No connection error at the client, none between the proxy and a backend, no gap with no backend.
    expect(
      answers.filter((a) => a.status === 0),
      "client errors",
    ).toEqual([]);
    expect(p.failures, "proxy failures").toEqual([]);
    expect(
      answers.filter((a) => a.status !== 202 && a.status !== 200),
      "answers other than 202/200",
    ).toEqual([]);
    // Every accepted event is recorded, once, with the id it was answered with.
    expect(accepted.size).toBe(sent.length);
    expect(rows).toHaveLength(accepted.size);
    expect(new Map(rows.map((r) => [r.source_event_id, r.id]))).toEqual(accepted);
  }, 60_000);
});
