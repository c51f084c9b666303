import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "@switchyard/config";
import { listening } from "@switchyard/http";
import { withTimeout } from "./redis.ts";

/** Where a process is in its life, as /readyz reports it. */
export type HealthState = "starting" | "ready" | "draining";

export interface HealthServer {
  readonly port: number;
  /** Started: from now on /readyz answers from `check` (it rejects while the process cannot work). */
  ready(check: () => Promise<void>): void;
  /** SIGTERM: /readyz fails from now on, whatever `check` says; /healthz still answers. */
  drain(): void;
  close(): Promise<void>;
}

// A probe answers within this however slow the dependency: an orchestrator's probe times out at 1 s by default.
const CHECK_TIMEOUT_MS = 900;

/**
 * /healthz and /readyz on a port of their own, for processes whose work is not HTTP (the workers)
 * or whose HTTP wants credentials (admin). /healthz is 200 while the process runs (liveness: it
 * never depends on Redis or Postgres, so an outage restarts nothing); /readyz is 200 only once
 * started, before SIGTERM, and while `check` passes. Bodies say no more than the state: the port
 * listens on every interface, as a kubelet's probe needs.
 */
export async function startHealthServer(opts: {
  port: number;
  logger: Logger;
  hostname?: string;
}): Promise<HealthServer> {
  let state: HealthState = "starting";
  let check: (() => Promise<void>) | undefined;
  // Probes that arrive together share one check.
  let inFlight: Promise<void> | undefined;
  let failing = false;

  const readiness = async (): Promise<boolean> => {
    if (state !== "ready" || !check) return false;
    const run = check;
    inFlight ??= withTimeout(run(), CHECK_TIMEOUT_MS, "readiness check").finally(() => {
      inFlight = undefined;
    });
    try {
      await inFlight;
      if (failing) opts.logger.info("ready again");
      failing = false;
      return true;
    } catch (err) {
      // Once per change, not once per probe.
      if (!failing) opts.logger.warn("not ready", { err });
      failing = true;
      return false;
    }
  };

  const answer = (res: ServerResponse, status: number, body: { status: string }) => {
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") return answer(res, 405, { status: "method_not_allowed" });
    if (path === "/healthz") return answer(res, 200, { status: "ok" });
    if (path !== "/readyz") return answer(res, 404, { status: "not_found" });
    if (await readiness()) return answer(res, 200, { status: "ready" });
    return answer(res, 503, { status: state === "ready" ? "unavailable" : state });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => answer(res, 500, { status: "error" }));
  });
  server.keepAliveTimeout = 5_000;
  server.listen(opts.port, opts.hostname ?? "0.0.0.0");
  await listening(server, opts.port, "HEALTH_PORT");
  const port = (server.address() as AddressInfo).port;
  opts.logger.info("health listening", { port });
  return {
    port,
    ready(fn) {
      check = fn;
      if (state === "starting") state = "ready";
    },
    drain() {
      state = "draining";
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
