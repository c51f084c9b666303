// Open-loop, constant-rate load generator for the bench's fixed-rate measurements.
// Why not autocannon's `overallRate`: it gives each connection a per-second token bucket, so every
// connection fires its share back to back at the start of each second and then idles. A "1,000/s"
// run is really a burst at full concurrency once a second, and its p99 is the saturated latency
// (plus the synthetic samples of its coordinated-omission correction). Here request i is due
// i / rate seconds after the start, and its latency runs from that intended time to the end of the
// response: when the server or this client falls behind, the lag shows up in the latency.
import http from "node:http";
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

export async function steadyLoad(
  url: string,
  make: () => { body: string; headers: Record<string, string> },
  opts: { rate: number; seconds: number; connections?: number; timeoutMs?: number },
): Promise<SteadyResult> {
  const { rate, seconds, connections = 64, timeoutMs = 10_000 } = opts;
  const target = new URL(url);
  // Past `connections` outstanding requests, the agent queues the rest: that wait counts as latency.
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const count = Math.round(rate * seconds);
  const latencies: number[] = [];
  let sent = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let last = 0;

  const fire = (intended: number) =>
    new Promise<void>((resolve) => {
      let settled = false;
      const settle = (status?: number) => {
        if (settled) return;
        settled = true;
        last = performance.now();
        if (status === undefined) errors++;
        else {
          latencies.push(last - intended);
          if (status >= 200 && status < 300) ok++;
          else non2xx++;
        }
        resolve();
      };
      const { body, headers } = make();
      const req = http.request(
        target,
        {
          method: "POST",
          agent,
          headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
          signal: AbortSignal.timeout(timeoutMs), // covers the wait for a socket too
        },
        (res) => {
          res.on("end", () => settle(res.statusCode ?? 0));
          res.on("error", () => settle());
          res.on("close", () => settle()); // closed before the end: counted as an error
          res.resume(); // drain the body so the socket goes back to the pool
        },
      );
      req.on("error", () => settle());
      req.end(body);
    });

  const start = performance.now();
  const inFlight: Promise<void>[] = [];
  await new Promise<void>((resolve) => {
    // Every ~1 ms, send each request whose intended time (start + i / rate) has passed.
    const tick = () => {
      const due = Math.min(count, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
      while (sent < due) inFlight.push(fire(start + (sent++ * 1000) / rate));
      if (sent < count) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(inFlight);
  agent.destroy();

  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
  const round = (ms: number) => Math.round(ms * 100) / 100;
  const total = ok + non2xx;
  const elapsed = ((last || performance.now()) - start) / 1000;
  return {
    sent,
    total,
    ok,
    non2xx,
    errors,
    p50: round(pct(50)),
    p99: round(pct(99)),
    rps: Math.round(total / elapsed),
  };
}
