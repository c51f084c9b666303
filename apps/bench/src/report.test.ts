import { describe, expect, it } from "vitest";
import type { SaturatedRun } from "./load.ts";
import type { NoiseReport } from "./noise.ts";
import { type BenchResults, renderMarkdown, workerRows } from "./report.ts";
import { replicaRun, replicasOf } from "./scenarios/replicas.ts";
import { parseSettings } from "./settings.ts";
import type { SteadyResult } from "./steady.ts";

const saturated = (rps: number): SaturatedRun => ({ rps, p50: 10, p99: 20, total: rps * 5, non2xx: 0, errors: 0 });
const steady = (p99: number): SteadyResult => ({
  sent: 100,
  total: 100,
  ok: 100,
  non2xx: 0,
  errors: 0,
  p50: 1,
  p99,
  rps: 20,
});
const noise: NoiseReport = {
  root: "/",
  cores: 2,
  damon: { kind: "read", kdamonds: [{ id: "0", state: "on" }] },
  governors: [],
  load: { one: 0.01, five: 0.02, fifteen: 0, runnable: 1, threads: 100 },
  cpu: undefined,
  busyProcesses: [],
  seen: ["DAMON (the kernel's memory monitor) running: kdamond 0 on"],
  clear: ["no cpufreq governor exposed"],
};

const spent = (ingest: number) => ({ ingest, postgres: 400, redis: 100, machine: ingest + 700 });
const replicaRounds = {
  one: [500, 520, 480].map((ms) => replicaRun(1, [steady(8)], spent(ms), 50)),
  two: [600, 520, 600].map((ms) => replicaRun(2, [steady(9), steady(7)], spent(ms * 2), 150)),
};

// Made-up figures, only to see where each lands in the table.
const results: BenchResults = {
  schedule: { quick: false, rounds: 3, roundSeconds: 5, warmupSeconds: 10, connections: 64 },
  ingest: {
    switchyard: saturated(110),
    baseline: saturated(100),
    ratio: 1.1,
    roundRatios: [1.1, 1.2, 1],
    rounds: { switchyard: [110, 120, 100].map(saturated), baseline: [100, 100, 100].map(saturated) },
  },
  fixedRate: { rate: 1000, ingest: steady(3), baseline: steady(2), rounds: { ingest: [], baseline: [] } },
  replicas: replicasOf(1000, 5, replicaRounds),
  endToEndSustained: { rate: 200, seconds: 10, sent: 2000, accepted: 2000, p50: 15, p95: 30, p99: 50 },
  endToEnd: { rate: 500, seconds: 10, sent: 5000, accepted: 5000, p50: 900, p95: 1500, p99: 1700 },
  worker: { backlog: 5000, seconds: 12.5, timedJobs: 4900, jobsPerSecond: 450 },
  memory: { ingestPeakRssMb: 300, workerPeakRssMb: 250 },
  processes: [
    { name: "ingest", nodeFlags: [], heapLimitMb: 2096, workerConcurrency: undefined },
    { name: "bare baseline", nodeFlags: [], heapLimitMb: 2096, workerConcurrency: undefined },
    { name: "crm-sync worker", nodeFlags: ["--max-old-space-size=512"], heapLimitMb: 560, workerConcurrency: 50 },
  ],
  noise,
  machine: {
    cpu: "Some CPU",
    cores: 2,
    memoryGb: 8,
    node: "v24.0.0",
    generatorFlags: ["--expose-gc"],
    generatorHeapLimitMb: 2096,
    at: "2026-01-01T00:00:00.000Z",
  },
};

describe("renderMarkdown", () => {
  it("has one row per measure, in the order the bench has always printed them", () => {
    const rows = renderMarkdown(results)
      .split("\n")
      .filter((line) => line.startsWith("| ") && !line.startsWith("| measure"))
      .map((line) => line.split(" | ")[0]);
    expect(rows).toEqual([
      "| ingest, Stripe-signed, 64 connections (median of 3 rounds of 5 s, after 10 s of warm-up)",
      "| bare baseline (HMAC + insert + LPUSH), 64 connections",
      "| Switchyard / baseline (median of the rounds' ratios)",
      "| ingest at a steady 1,000 events/s (open loop, evenly spaced)",
      "| bare baseline at a steady 1,000 events/s (open loop, evenly spaced)",
      "| 1,000 signed events/s on 1 ingest process (open loop; median of 3 rounds of 5 s)",
      "| the same 1,000 events/s split over 2 ingest processes (500 each)",
      "| 2 ingest processes / 1, CPU per request (median of the rounds' ratios)",
      "| end to end at a steady 200 events/s (signup in -> CRM contact; one worker process)",
      "| end to end at a steady 500 events/s (signup in -> CRM contact; one worker process)",
      "| one crm-sync worker process",
      "| peak RSS",
      "| ingest process settings",
      "| bare baseline process settings",
      "| crm-sync worker process settings",
      "| load generators (the bench's own process)",
    ]);
  });

  it("states each process's worker concurrency and heap settings", () => {
    const md = renderMarkdown(results);
    expect(md).toContain(
      "| ingest process settings | runs no queue worker; node without flags (V8's default heap, limit 2,096 MiB) |",
    );
    expect(md).toContain(
      "| crm-sync worker process settings | WORKER_CONCURRENCY 50; node --max-old-space-size=512 (limit 560 MiB) |",
    );
    expect(md).toContain(
      "| load generators (the bench's own process) | node --expose-gc (V8's default heap, limit 2,096 MiB) |",
    );
  });

  it("puts the figures and the noise seen beside them, with no paused-monitor rows", () => {
    const md = renderMarkdown(results);
    expect(md).toContain("| 110 req/s, p50 10 ms, p99 20 ms (0 non-2xx; rounds 110, 120, 100) |");
    expect(md).toContain("| 1.1 (rounds 1.1, 1.2, 1) |");
    expect(md).toContain(
      "| 450 jobs/s once running (the last 4900 of 5,000; all 5,000 took 12.5 s from the process's start) |",
    );
    expect(md).toMatch(/## Noise seen\n\n- DAMON \(the kernel's memory monitor\) running: kdamond 0 on\n/);
    expect(md).toContain("Checked and clear: no cpufreq governor exposed.");
    expect(md).not.toMatch(/paused/);
    expect(md).not.toMatch(/quick/i);
    expect(renderMarkdown({ ...results, schedule: { ...results.schedule, quick: true } })).toMatch(
      /^A quick smoke run/,
    );
  });
});

describe("replicas", () => {
  it("gives CPU per request from every generator's responses, and the highest percentiles", () => {
    const run = replicaRun(2, [steady(9), { ...steady(7), p50: 3, non2xx: 2 }], spent(1000), 150);
    expect(run).toMatchObject({ replicas: 2, requests: 200, non2xx: 2, p50: 3, p99: 9, commitsPerRequest: 0.75 });
    expect(run.perRequest).toEqual({ ingest: 5, postgres: 2, redis: 0.5, servers: 7.5, machine: 8.5 });
  });

  it("takes the median of the rounds' own ratios, and the median rounds", () => {
    const r = replicasOf(1000, 5, replicaRounds);
    // Ingest per request: one 5, 5.2, 4.8; two 6, 5.2, 6 (each of 200 requests).
    expect(r.roundRatios.ingest).toEqual([1.2, 1, 1.25]);
    expect(r.ratio.ingest).toBe(1.2);
    // With Postgres and Redis spending the same in both, over twice the requests.
    expect(r.roundRatios.servers).toEqual([0.85, 0.75, 0.87]);
    expect(r.ratio.servers).toBe(0.85);
    expect(r.one.perRequest.ingest).toBe(5);
    expect(r.two.perRequest.ingest).toBe(6);
  });

  it("renders both runs and the ratios", () => {
    const md = renderMarkdown(results);
    expect(md).toContain(
      "| 1,000 signed events/s on 1 ingest process (open loop; median of 3 rounds of 5 s) | CPU per request: ingest 5.000 ms, Postgres 4.000 ms, Redis 1.000 ms, the three 10.000 ms, machine 12.000 ms; 0.50 Postgres commits per event; p50 1 ms, p99 8 ms (0 non-2xx, 0 errors) |",
    );
    expect(md).toContain(
      "| ingest 1.2 (rounds 1.2, 1, 1.25); ingest + Postgres + Redis 0.85 (rounds 0.85, 0.75, 0.87); machine",
    );
  });
});

describe("parseSettings", () => {
  it("keeps a quick run's figures out of bench/results unless told where", () => {
    expect(parseSettings([]).out).toMatch(/bench\/results$/);
    expect(parseSettings(["--quick"]).out).not.toMatch(/bench\/results$/);
    expect(parseSettings(["--quick", "--out", "/tmp/x"])).toMatchObject({ quick: true, rounds: 1, out: "/tmp/x" });
    expect(() => parseSettings(["--out"])).toThrow(/--out needs a directory/);
  });
});

describe("workerRows", () => {
  const drain = (jobsPerSecond: number) => ({
    backlog: 5000,
    seconds: 6,
    timedJobs: 4900,
    jobsPerSecond,
    rssAfterMb: 120,
    peakRssMb: 130,
  });
  const pair = (worker: number[], bare: number[]) => ({
    worker: drain(worker[1] ?? 0),
    bare: drain(bare[1] ?? 0),
    ratio: 0.5,
    roundRatios: worker.map((w, i) => Math.round((w / (bare[i] ?? 1)) * 100) / 100),
    rounds: { worker: worker.map(drain), bare: bare.map(drain) },
  });
  it("puts every worker beside its own bare durable worker, then each role's counts", () => {
    const crm = pair([600, 500, 400], [1000, 1000, 1000]);
    const rows = workerRows(
      {
        crm: crm.worker,
        bare: crm.bare,
        ratio: crm.ratio,
        roundRatios: crm.roundRatios,
        rounds: { crm: crm.rounds.worker, bare: crm.rounds.bare },
        counts: [],
        pairs: [
          { name: "billing-sync", jobs: "invoices", ...pair([700, 800, 900], [1000, 1000, 1000]) },
          { name: "support-context", jobs: "support requests", ...pair([300, 300, 300], [900, 900, 900]) },
        ],
      },
      10,
    );
    expect(rows.map((r) => r.split(" | ")[0])).toEqual([
      "| crm-sync / bare durable worker, 5,000 signups drained at WORKER_CONCURRENCY 10 (median of 3 interleaved rounds' ratios)",
      "| billing-sync / bare durable worker, 5,000 invoices drained at WORKER_CONCURRENCY 10 (median of 3 interleaved rounds' ratios)",
      "| support-context / bare durable worker, 5,000 support requests drained at WORKER_CONCURRENCY 10 (median of 3 interleaved rounds' ratios)",
    ]);
    expect(rows[1]).toContain(
      "| 0.5 (rounds 0.7, 0.8, 0.9); billing-sync 800 jobs/s, RSS after the drain 120 MiB (rounds 700, 800, 900); bare 1,000 jobs/s",
    );
  });
});
