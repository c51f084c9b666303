import type { Server, ServerOptions } from "node:http";
import type { Config } from "@switchyard/config";

type Limits = Pick<Config, "INGEST_REQUEST_TIMEOUT_MS" | "INGEST_HEADERS_TIMEOUT_MS" | "INGEST_MAX_CONNECTIONS">;

// Node refuses a headers deadline beyond the request's.
const headersTimeoutMs = (limits: Limits) =>
  Math.min(limits.INGEST_HEADERS_TIMEOUT_MS, limits.INGEST_REQUEST_TIMEOUT_MS);

/**
 * Node checks the request and headers deadlines only every `connectionsCheckingInterval` (30 s
 * by default), so a 30 s request timeout cut a trickled body anywhere between 30 and 60 s. A
 * fortieth of the shortest deadline (at most a second) keeps each cut within about 3 % of it.
 */
export function checkingIntervalMs(limits: Limits): number {
  return Math.max(25, Math.min(1_000, Math.floor(headersTimeoutMs(limits) / 40)));
}

/** What must be given when the server is created: the checking interval starts with it. */
export const serverOptions = (limits: Limits): ServerOptions => ({
  connectionsCheckingInterval: checkingIntervalMs(limits),
  requestTimeout: limits.INGEST_REQUEST_TIMEOUT_MS,
  headersTimeout: headersTimeoutMs(limits),
  keepAliveTimeout: headersTimeoutMs(limits),
});

/**
 * Slow and idle clients are bounded:
 * - the whole request, headers and body, within INGEST_REQUEST_TIMEOUT_MS, else 408 and the
 *   connection closed (a trickled body, a Content-Length larger than what is sent);
 * - the headers within INGEST_HEADERS_TIMEOUT_MS of the connection (a socket that sends nothing
 *   is closed then), and a kept-alive connection's next request within as long of the last answer
 *   (the `Keep-Alive: timeout=` advertised), plus Node's 1 s buffer against a client reusing it at
 *   that very moment;
 * - at most INGEST_MAX_CONNECTIONS open connections: Node closes further ones as they are
 *   accepted, so half-open sockets cannot take every file descriptor and the memory behind them.
 */
export function applyLimits(server: Server, limits: Limits): void {
  server.requestTimeout = limits.INGEST_REQUEST_TIMEOUT_MS;
  server.headersTimeout = headersTimeoutMs(limits);
  server.keepAliveTimeout = headersTimeoutMs(limits);
  server.maxConnections = limits.INGEST_MAX_CONNECTIONS;
}
