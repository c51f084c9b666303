import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

export interface IngestProcess {
  child: ChildProcess;
  port: number;
  /** Everything it wrote, stdout and stderr, as written. */
  output(): string;
  /** SIGTERM, then SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** `node apps/ingest/src/main.ts` as its own process, with only `env`; resolves once it listens. */
export async function startIngestProcess(env: Record<string, string>, timeoutMs = 20_000): Promise<IngestProcess> {
  const child = spawn(process.execPath, [MAIN], { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  const started = Date.now();
  let port: number | undefined;
  while (port === undefined) {
    const line = out.split("\n").find((l) => l.includes('"ingest listening"'));
    if (line) port = (JSON.parse(line) as { port: number }).port;
    else if (child.exitCode !== null) throw new Error(`ingest exited (${child.exitCode}):\n${out}`);
    else if (Date.now() - started > timeoutMs) throw new Error(`ingest did not listen:\n${out}`);
    else await new Promise((r) => setTimeout(r, 25));
  }
  return {
    child,
    port,
    output: () => out,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * A raw connection: what it received and when it closed. The server took it somewhere between
 * `startedAt` (the connect call) and `connectedAt` (this process saw the handshake done), so a
 * lifetime lies between `afterConnectMs` and `afterStartMs`.
 */
export interface RawConnection {
  socket: Socket;
  startedAt: number;
  connectedAt: number;
  received(): string;
  closed: Promise<{ afterMs: number; afterConnectMs: number; afterStartMs: number; received: string }>;
}

export async function rawConnection(port: number): Promise<RawConnection> {
  const startedAt = performance.now();
  const socket = connect(port, "127.0.0.1");
  let data = "";
  socket.setEncoding("utf8");
  socket.on("data", (d: string) => {
    data += d;
  });
  // Timed in the listeners themselves: awaiting each event would add the test's own lag.
  let connectedAt = 0;
  const connected = new Promise<void>((resolve, reject) => {
    socket.once("connect", () => {
      connectedAt = performance.now();
      resolve();
    });
    socket.once("error", reject);
  });
  const closed = new Promise<Awaited<RawConnection["closed"]>>((resolve) =>
    socket.once("close", () => {
      const at = performance.now();
      resolve({
        afterMs: at - connectedAt,
        afterConnectMs: at - connectedAt,
        afterStartMs: at - startedAt,
        received: data,
      });
    }),
  );
  // A reset (the server's cap, a cut) is how some of these end: not a failure of the test.
  socket.on("error", () => {});
  await connected;
  return { socket, startedAt, connectedAt, received: () => data, closed };
}
