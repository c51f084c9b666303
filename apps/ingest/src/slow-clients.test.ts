import { readFileSync } from "node:fs";
import { Agent, createServer, request } from "node:http";
import { parseConfig } from "@switchyard/config";
import { createDb, runMigrations } from "@switchyard/db";
import {
  createTestDatabase,
  deleteKeysWithPrefix,
  invoicePaid,
  signStripe,
  TEST_REDIS_URL,
  type TestDatabase,
  uniquePrefix,
} from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyLimits, checkingIntervalMs, serverOptions } from "./limits.ts";
import { type IngestProcess, type RawConnection, rawConnection, startIngestProcess } from "./testing/ingest-process.ts";

const SECRET = "whsec_slow_clients_0123456789";
// Small deadlines, so the test takes seconds; the defaults are checked against the docs below.
const REQUEST_MS = 3_000;
// Also the keep-alive timeout; Node's own http.Agent drops a kept-alive socket 1 s before the
// server's advertised one, so under 2 s a provider on Node would reconnect for every event.
const HEADERS_MS = 2_000;
const MAX_CONNECTIONS = 100;
const HALF_OPEN = 1_000;

const within10 = (actual: number, expected: number) => {
  expect(actual, `${Math.round(actual)} ms against ${expected} ms`).toBeGreaterThanOrEqual(expected * 0.9);
  expect(actual, `${Math.round(actual)} ms against ${expected} ms`).toBeLessThanOrEqual(expected * 1.1);
};

/** The server's own lifetime of a connection lies between the two measures (see RawConnection). */
const lifetimeWithin10 = (cut: { afterConnectMs: number; afterStartMs: number }, expected: number) => {
  expect(cut.afterStartMs, `${Math.round(cut.afterStartMs)} ms against ${expected} ms`).toBeGreaterThanOrEqual(
    expected * 0.9,
  );
  expect(cut.afterConnectMs, `${Math.round(cut.afterConnectMs)} ms against ${expected} ms`).toBeLessThanOrEqual(
    expected * 1.1,
  );
};

function signedInvoice() {
  return signStripe({ payload: invoicePaid({ customer: "cus_slow" }), secret: SECRET });
}

/** A signed event over `agent` (a kept-alive connection), its status. */
function post(port: number, agent: Agent): Promise<number> {
  const { body, headers } = signedInvoice();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/webhooks/stripe", method: "POST", agent, headers },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("the documented defaults for slow and idle clients", () => {
  it("are the configuration's defaults, and what ingest's server is given", () => {
    const readme = readFileSync(new URL("../../../docs/CONFIGURATION.md", import.meta.url), "utf8");
    const documented = (name: string) => new RegExp(`\\| \`${name}\`\\s*\\| \`([^\`]*)\``).exec(readme)?.[1];
    const defaults = parseConfig({});
    const expected = {
      INGEST_REQUEST_TIMEOUT_MS: 30_000,
      INGEST_HEADERS_TIMEOUT_MS: 10_000,
      INGEST_MAX_CONNECTIONS: 1_000,
      DATABASE_TIMEOUT_MS: 2_000,
    };
    for (const [name, value] of Object.entries(expected)) {
      expect(defaults[name as keyof typeof expected], name).toBe(value);
      expect(documented(name), name).toBe(String(value));
    }
    const server = createServer(serverOptions(defaults));
    applyLimits(server, defaults);
    expect({
      request: server.requestTimeout,
      headers: server.headersTimeout,
      keepAlive: server.keepAliveTimeout,
      max: server.maxConnections,
    }).toEqual({ request: 30_000, headers: 10_000, keepAlive: 10_000, max: 1_000 });
    // Checked often enough to cut within about 3 % of the shortest deadline.
    expect(checkingIntervalMs(defaults)).toBe(250);
    server.close();
  });
});

describe("ingest with slow and idle clients", () => {
  let testDb: TestDatabase;
  let ingest: IngestProcess;
  const prefix = uniquePrefix("slow");
  beforeAll(async () => {
    testDb = await createTestDatabase("slow_clients");
    const migrator = await createDb({ databaseUrl: testDb.url, maxConnections: 2 });
    await runMigrations(migrator);
    await migrator.close();
    ingest = await startIngestProcess({
      NODE_ENV: "test",
      // Debug, so the line that a client went away is there to be found, at debug.
      LOG_LEVEL: "debug",
      DATABASE_URL: testDb.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      STRIPE_WEBHOOK_SECRET: SECRET,
      INGEST_PORT: "0",
      RELAY_INTERVAL_MS: "60000",
      INGEST_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
      INGEST_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
      INGEST_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
    });
  });
  afterAll(async () => {
    await ingest?.stop();
    await testDb?.drop();
    await deleteKeysWithPrefix(prefix).catch(() => {});
  });

  const headersOf = (length: number) => {
    const { headers } = signedInvoice();
    const lines = Object.entries({ ...headers, host: "127.0.0.1", "content-length": String(length) });
    return `POST /webhooks/stripe HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}`).join("\r\n")}\r\n\r\n`;
  };

  it("cuts a trickled body and a body shorter than its Content-Length at the request timeout, with 408", async () => {
    const trickled = await rawConnection(ingest.port);
    trickled.socket.write(headersOf(100_000));
    const drip = setInterval(() => trickled.socket.write("x"), 100);
    const lying = await rawConnection(ingest.port);
    lying.socket.write(`${headersOf(500)}{"id":"evt_`);
    const [cutTrickle, cutLying] = await Promise.all([trickled.closed, lying.closed]);
    clearInterval(drip);
    process.stdout.write(
      `request timeout ${REQUEST_MS} ms: trickled body cut after ${Math.round(cutTrickle.afterConnectMs)} ms, short body after ${Math.round(cutLying.afterConnectMs)} ms\n`,
    );
    for (const cut of [cutTrickle, cutLying]) {
      lifetimeWithin10(cut, REQUEST_MS);
      expect(cut.received).toMatch(/^HTTP\/1\.1 408 /);
    }
  });

  it("cuts headers sent a line at a time at the headers timeout", async () => {
    const slowloris = await rawConnection(ingest.port);
    slowloris.socket.write("POST /webhooks/stripe HTTP/1.1\r\n");
    let n = 0;
    const drip = setInterval(() => slowloris.socket.write(`x-slow-${n++}: 1\r\n`), 150);
    const cut = await slowloris.closed;
    clearInterval(drip);
    process.stdout.write(
      `headers timeout ${HEADERS_MS} ms: slow headers cut after ${Math.round(cut.afterConnectMs)} ms\n`,
    );
    lifetimeWithin10(cut, HEADERS_MS);
    expect(cut.received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes an idle kept-alive connection after the headers timeout (plus Node's 1 s buffer)", async () => {
    const conn = await rawConnection(ingest.port);
    const { body, headers } = signedInvoice();
    const lines = Object.entries({ ...headers, host: "127.0.0.1", "content-length": String(Buffer.byteLength(body)) });
    conn.socket.write(`POST /webhooks/stripe HTTP/1.1\r\n${lines.map(([k, v]) => `${k}: ${v}`).join("\r\n")}\r\n\r\n`);
    conn.socket.write(body);
    while (!conn.received().includes("\r\n\r\n")) await new Promise((r) => setTimeout(r, 5));
    const answeredAt = performance.now();
    expect(conn.received()).toMatch(/^HTTP\/1\.1 202 /);
    expect(conn.received()).toMatch(new RegExp(`keep-alive: timeout=${HEADERS_MS / 1_000}\r\n`, "i"));
    await conn.closed;
    const idle = performance.now() - answeredAt;
    process.stdout.write(`keep-alive ${HEADERS_MS} ms + 1 s: idle connection closed after ${Math.round(idle)} ms\n`);
    within10(idle, HEADERS_MS + 1_000);
  });

  it(`holds at most ${MAX_CONNECTIONS} of ${HALF_OPEN} half-open sockets, cuts those at the headers timeout, and serves signed events meanwhile`, async () => {
    // A provider's connection, open before the flood and kept alive through it.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    expect(await post(ingest.port, agent)).toBe(202);
    const statuses: number[] = [];
    let flooding = true;
    const served = (async () => {
      while (flooding) {
        statuses.push(await post(ingest.port, agent));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const floodStart = performance.now();
    // In waves, so the listen backlog never overflows into SYN retries (1 s each).
    const sockets: RawConnection[] = [];
    for (let wave = 0; wave < HALF_OPEN / 100; wave++) {
      sockets.push(...(await Promise.all(Array.from({ length: 100 }, () => rawConnection(ingest.port)))));
    }
    const opened = performance.now() - floodStart;
    const cuts = await Promise.all(sockets.map(async (s) => ({ ...(await s.closed), connectedAt: s.connectedAt })));
    flooding = false;
    await served;
    // Beyond the cap, closed as they arrive; within it, cut at the headers timeout. Never more
    // open at once than the cap leaves beside the provider's connection.
    const held = cuts.filter((c) => c.afterMs >= HEADERS_MS / 2);
    const edges = held.flatMap((c) => [
      [c.connectedAt, 1],
      [c.connectedAt + c.afterMs, -1],
    ]);
    edges.sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
    let open = 0;
    let mostOpen = 0;
    for (const [, step] of edges) {
      open += step as number;
      mostOpen = Math.max(mostOpen, open);
    }
    process.stdout.write(
      `${HALF_OPEN} half-open sockets opened in ${Math.round(opened)} ms: ${held.length} held (at most ${mostOpen} at once), cut ${Math.round(Math.min(...held.map((c) => c.afterConnectMs)))}-${Math.round(Math.max(...held.map((c) => c.afterConnectMs)))} ms after they connected, the rest closed at once; ${statuses.length} signed events served meanwhile\n`,
    );
    expect(mostOpen).toBeLessThanOrEqual(MAX_CONNECTIONS - 1);
    expect(mostOpen).toBeGreaterThan(MAX_CONNECTIONS / 2);
    expect(held.length).toBeLessThan(HALF_OPEN / 2);
    for (const cut of held) lifetimeWithin10(cut, HEADERS_MS);
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.every((s) => s === 202)).toBe(true);
    // Once they are gone, new connections are taken again.
    const fresh = new Agent({ keepAlive: false });
    expect(await post(ingest.port, fresh)).toBe(202);
    agent.destroy();
    fresh.destroy();
  });

  it("does not log a client that went away as an error, and writes nothing but JSON lines", async () => {
    const quitter = await rawConnection(ingest.port);
    quitter.socket.write(`${headersOf(2_000)}{"id":"evt_`);
    await new Promise((r) => setTimeout(r, 100));
    quitter.socket.destroy();
    await new Promise((r) => setTimeout(r, 300));
    const lines = ingest.output().trim().split("\n");
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    const parsed = lines.map((l) => JSON.parse(l) as { level: string; msg: string });
    const errors = parsed.filter((l) => l.level === "error");
    expect(errors, JSON.stringify(errors)).toEqual([]);
    // This one and the requests cut at their timeouts above.
    const gone = parsed.filter((l) => l.msg === "client went away before its body ended");
    expect(gone.length).toBeGreaterThanOrEqual(1);
    expect(gone.every((l) => l.level === "debug")).toBe(true);
  });
});
