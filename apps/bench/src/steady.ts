// Open-loop, constant-rate load generator for the bench's fixed-rate measurements.
// Why not autocannon's `overallRate`: it gives each connection a per-second token bucket, so every
// connection fires its share back to back at the start of each second and then idles. A "1,000/s"
// run is really a burst at full concurrency once a second, and its p99 is the saturated latency
// (plus the synthetic samples of its coordinated-omission correction). Here request i is due
// i / rate seconds after the start, and its latency runs from that intended time to the end of the
// response: when the server or this client falls behind, the lag shows up in the latency.
//
// The generator shares the machine's cores with the server it measures, so it does as little as it
// can while the clock runs: every request is signed and serialized to bytes before the start, and
// it speaks HTTP/1.1 over plain sockets. node:http's client cost about 300 µs of CPU per request
// here, a third of a core at 1,000/s, and its pauses showed up in the latency of both servers.
import net from "node:net";
import { performance } from "node:perf_hooks";

export type SteadyResult = {
  /** Requests issued. */
  sent: number;
  /** Responses received (2xx or not), the count autocannon calls `requests.total`. */
  total: number;
  ok: number;
  non2xx: number;
  /** Connection errors and timeouts: no response, so no latency sample. */
  errors: number;
  /** Latency percentiles over every response, in ms from the intended send time. */
  p50: number;
  p99: number;
  /** Responses per second, over the time from the start to the last response. */
  rps: number;
};

type Made = { body: string; headers: Record<string, string> };

/** The whole request as bytes: a POST with a Content-Length, on a kept-alive connection. */
function serialize(target: URL, { body, headers }: Made): Buffer {
  const head = [`POST ${target.pathname}${target.search} HTTP/1.1`, `host: ${target.host}`];
  for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
  head.push(`content-length: ${Buffer.byteLength(body)}`, "", "");
  return Buffer.from(head.join("\r\n") + body);
}

/**
 * One response at a time off a socket: the status line, then a body delimited by Content-Length
 * or chunked encoding (the bodies are small; nothing here needs more of HTTP).
 */
class ResponseReader {
  private buf: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns each response they complete, and whether the server closes after it. */
  push(chunk: Buffer): { status: number; close: boolean }[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const done: { status: number; close: boolean }[] = [];
    for (;;) {
      const end = this.buf.indexOf("\r\n\r\n");
      if (end < 0) return done;
      const head = this.buf.toString("latin1", 0, end);
      const status = Number(head.slice(9, 12));
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
      let size: number;
      if (length !== undefined) size = end + 4 + Number(length);
      else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
        const last = this.buf.indexOf("\r\n0\r\n\r\n", end);
        if (last < 0) return done;
        size = last + 7;
      } else size = end + 4;
      if (this.buf.length < size) return done;
      this.buf = this.buf.subarray(size);
      // An interim response (100 Continue, 103 Early Hints) precedes the real one.
      if (status < 100 || status >= 200) done.push({ status, close: /\r\nconnection:\s*close/i.test(head) });
    }
  }
}

export async function steadyLoad(
  url: string,
  make: () => Made,
  opts: { rate: number; seconds: number; connections?: number; timeoutMs?: number },
): Promise<SteadyResult> {
  const { rate, seconds, connections = 64, timeoutMs = 10_000 } = opts;
  const target = new URL(url);
  const count = Math.round(rate * seconds);
  const requests = Array.from({ length: count }, () => serialize(target, make()));
  const latencies: number[] = [];
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let last = 0;
  let settled = 0;

  // Requests due but not yet on a socket, as their intended send times: past `connections`
  // outstanding requests they wait here, and the wait counts as latency.
  const due: number[] = [];
  let next = 0;
  type Conn = {
    socket: net.Socket;
    reader: ResponseReader;
    /** Intended send time of the request it is waiting on. */
    intended: number | undefined;
    /** On the idle list. */
    idle: boolean;
    connected: boolean;
  };
  const idle: Conn[] = [];
  const conns = new Set<Conn>();
  let running = true;

  /** Closes out the connection's request, if it has one; false when it had none. */
  const finish = (conn: Conn, status: number | undefined): boolean => {
    if (conn.intended === undefined) return false;
    last = performance.now();
    if (status === undefined) errors++;
    else {
      latencies.push(last - conn.intended);
      if (status >= 200 && status < 300) ok++;
      else non2xx++;
    }
    conn.intended = undefined;
    settled++;
    return true;
  };

  const send = (conn: Conn) => {
    const intended = due.shift();
    if (intended === undefined) {
      if (!conn.idle) idle.push(conn);
      conn.idle = true;
      return;
    }
    conn.idle = false;
    conn.intended = intended;
    conn.socket.write(requests[next++] as Buffer);
  };

  const open = (): Conn => {
    const socket = net.connect({ host: target.hostname, port: Number(target.port), noDelay: true });
    const conn: Conn = { socket, reader: new ResponseReader(), intended: undefined, idle: false, connected: false };
    conns.add(conn);
    socket.once("connect", () => {
      conn.connected = true;
    });
    socket.on("data", (chunk: Buffer) => {
      for (const { status, close } of conn.reader.push(chunk)) {
        // A response to nothing asked (a 408 on an idle socket, say): this socket is out of step.
        if (!finish(conn, status) || close) return void socket.destroy();
        if (running) send(conn);
      }
    });
    // A request lost with its socket is an error; a fresh socket takes the connection's place,
    // after a pause if this one never connected, so a refusing server is not hammered.
    socket.on("close", () => {
      conns.delete(conn);
      if (conn.idle) idle.splice(idle.indexOf(conn), 1);
      conn.idle = false;
      finish(conn, undefined);
      if (running) setTimeout(() => running && send(open()), conn.connected ? 0 : 50);
    });
    socket.on("error", () => {});
    return conn;
  };
  for (let i = 0; i < connections; i++) open();
  // A client with kept-alive connections has them open already: connecting is not the server's
  // latency, and 64 handshakes at once would land on the first requests of the run.
  await Promise.all(
    [...conns].map(
      ({ socket }) =>
        new Promise<void>((resolve) => {
          socket.once("connect", () => resolve());
          socket.once("close", () => resolve());
        }),
    ),
  );
  for (const conn of conns) send(conn); // nothing is due yet: each goes idle
  // With --expose-gc (`pnpm bench` passes it), one full collection now: otherwise the requests
  // built above are still young when the clock starts, the generator's first collections copy
  // them, and its pauses (up to 13 ms here) land in the latency of whichever server is measured.
  globalThis.gc?.();

  const start = performance.now();
  await new Promise<void>((resolve) => {
    // Every ~1 ms: queue each request whose intended time (start + i / rate) has passed, hand them
    // to idle connections, and give up on any request (sent or still waiting for a connection)
    // older than the timeout.
    let queued = 0;
    const tick = () => {
      const now = performance.now();
      const upTo = Math.min(count, Math.floor(((now - start) * rate) / 1000) + 1);
      while (queued < upTo) due.push(start + (queued++ * 1000) / rate);
      while (due.length > 0 && now - (due[0] as number) > timeoutMs) {
        due.shift();
        next++; // its bytes are never sent
        errors++;
        settled++;
      }
      while (due.length > 0 && idle.length > 0) send(idle.pop() as Conn);
      for (const conn of conns) {
        if (conn.intended !== undefined && now - conn.intended > timeoutMs) conn.socket.destroy();
      }
      if (settled < count) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  running = false;
  for (const conn of conns) conn.socket.destroy();

  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  const round = (ms: number) => Math.round(ms * 100) / 100;
  const total = ok + non2xx;
  const elapsed = ((last || performance.now()) - start) / 1000;
  return {
    sent: next,
    total,
    ok,
    non2xx,
    errors,
    p50: round(pct(50)),
    p99: round(pct(99)),
    rps: Math.round(total / elapsed),
  };
}
