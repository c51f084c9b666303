import { createServer } from "node:net";
import type { Logger } from "@switchyard/config";
import { freePort } from "@switchyard/testkit";
import { afterEach, describe, expect, it } from "vitest";
import { type HealthServer, startHealthServer } from "./health.ts";

/** A logger that keeps each line's message, to count what the server says. */
function recordingLogger(lines: string[]): Logger {
  const log = (level: string) => (msg: string) => lines.push(`${level} ${msg}`);
  const logger: Logger = {
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    child: () => logger,
  };
  return logger;
}

async function get(server: HealthServer, path: string, method = "GET") {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { method });
  return { status: res.status, body: (await res.json()) as { status: string } };
}

describe("the health port", () => {
  let server: HealthServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("says starting, then ready, then draining; /healthz is 200 throughout", async () => {
    server = await startHealthServer({ port: 0, logger: recordingLogger([]) });
    expect(await get(server, "/readyz")).toEqual({ status: 503, body: { status: "starting" } });
    expect(await get(server, "/healthz")).toEqual({ status: 200, body: { status: "ok" } });
    server.ready(async () => {});
    expect(await get(server, "/readyz")).toEqual({ status: 200, body: { status: "ready" } });
    server.drain();
    expect(await get(server, "/readyz")).toEqual({ status: 503, body: { status: "draining" } });
    expect(await get(server, "/healthz")).toEqual({ status: 200, body: { status: "ok" } });
  });

  it("is unavailable while its check fails or hangs, says so once per change, and says no more", async () => {
    const lines: string[] = [];
    server = await startHealthServer({ port: 0, logger: recordingLogger(lines) });
    let mode: "ok" | "fail" | "hang" = "fail";
    server.ready(() => {
      if (mode === "fail") return Promise.reject(new Error("redis ping timed out after 1000 ms at 10.0.0.7"));
      if (mode === "hang") return new Promise<void>(() => {});
      return Promise.resolve();
    });
    expect(await get(server, "/readyz")).toEqual({ status: 503, body: { status: "unavailable" } });
    expect(await get(server, "/readyz")).toEqual({ status: 503, body: { status: "unavailable" } });
    mode = "hang";
    const started = performance.now();
    expect((await get(server, "/readyz")).status).toBe(503);
    // Within an orchestrator's default 1 s probe timeout.
    expect(performance.now() - started).toBeLessThan(1_000);
    mode = "ok";
    expect((await get(server, "/readyz")).status).toBe(200);
    expect(lines.filter((l) => l.startsWith("warn"))).toEqual(["warn not ready"]);
    expect(lines).toContain("info ready again");
  });

  it("answers 404 elsewhere and 405 to a write", async () => {
    server = await startHealthServer({ port: 0, logger: recordingLogger([]) });
    expect((await get(server, "/metrics")).status).toBe(404);
    expect((await get(server, "/readyz", "POST")).status).toBe(405);
  });

  it("refuses a taken port naming HEALTH_PORT", async () => {
    const port = await freePort();
    const holder = createServer().listen(port, "0.0.0.0");
    try {
      await new Promise((r) => holder.once("listening", r));
      await expect(startHealthServer({ port, logger: recordingLogger([]) })).rejects.toThrow(
        `port ${port} is already in use — set HEALTH_PORT to another port`,
      );
    } finally {
      holder.close();
    }
  });
});
