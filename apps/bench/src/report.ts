// The results of a run, typed end to end, and the markdown table bench/results/latest.md holds.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { SaturatedRun } from "./load.ts";
import type { NoiseReport } from "./noise.ts";
import type { ProcessSettings } from "./processes.ts";
import type { SteadyResult } from "./steady.ts";

export interface IngestVsBaseline {
  /** The median rounds by throughput. */
  switchyard: SaturatedRun;
  baseline: SaturatedRun;
  /** The median of the rounds' own ratios. */
  ratio: number;
  roundRatios: number[];
  rounds: { switchyard: SaturatedRun[]; baseline: SaturatedRun[] };
}

export interface FixedRate {
  rate: number;
  /** The median rounds by p99. */
  ingest: SteadyResult;
  baseline: SteadyResult;
  rounds: { ingest: SteadyResult[]; baseline: SteadyResult[] };
}

/** One run at the replicas scenario's total rate, split evenly over `replicas` ingest processes. */
export interface ReplicaRun {
  replicas: number;
  /** Responses, every generator's together. */
  requests: number;
  non2xx: number;
  errors: number;
  /** The highest of the generators' percentiles, in ms. */
  p50: number;
  p99: number;
  /** CPU per request in ms: `servers` is ingest + Postgres + Redis, `machine` every process. */
  perRequest: { ingest: number; postgres: number; redis: number; servers: number; machine: number };
  /** Postgres commits in the bench's database per request (inserts, the relay's reads). */
  commitsPerRequest: number;
}

export type ReplicaRatios = { ingest: number; servers: number; machine: number };

export interface Replicas {
  rate: number;
  seconds: number;
  /** The median rounds by ingest CPU per request. */
  one: ReplicaRun;
  two: ReplicaRun;
  /** Two processes' CPU per request over one's: the median of the rounds' own ratios. */
  ratio: ReplicaRatios;
  roundRatios: { ingest: number[]; servers: number[]; machine: number[] };
  rounds: { one: ReplicaRun[]; two: ReplicaRun[] };
}

export interface EndToEnd {
  rate: number;
  seconds: number;
  sent: number;
  accepted: number;
  /** From an event's arrival at ingest to its CRM contact, in ms. */
  p50: number;
  p95: number;
  p99: number;
}

export interface WorkerThroughput {
  backlog: number;
  /** The whole drain, from the process's start. */
  seconds: number;
  /** Jobs the rate is timed over: those left once the untimed first ones are done. */
  timedJobs: number;
  jobsPerSecond: number;
}

export interface Memory {
  ingestPeakRssMb: number;
  workerPeakRssMb: number;
  /** Ingest's RSS once up, before any load, and right after the saturated rounds. */
  ingestIdleRssMb?: number;
  ingestAfterRoundsRssMb?: number;
}

/** One worker role's counted drain (scenarios/workers.ts). */
export interface WorkerCounts {
  worker: string;
  jobs: number;
  /** On the wire (pg-counter.ts): statements, round trips and transactions ended per job. */
  statementsPerJob: number;
  roundTripsPerJob: number;
  commitsPerJob: number;
  /** pg_stat_database.xact_commit of the bench's database over the drain, less the bench's own polls. */
  xactCommitsPerJob: number;
  rssIdleMb: number;
  rssAfterMb: number;
}

export type DrainRound = WorkerThroughput & { rssAfterMb: number; peakRssMb: number };

/** A worker's interleaved drain rounds beside a bare durable worker of its effects. */
export interface PairRounds {
  /** The median rounds by jobs/s. */
  worker: DrainRound;
  bare: DrainRound;
  /** worker / bare: the median of the rounds' own ratios. */
  ratio: number;
  roundRatios: number[];
  rounds: { worker: DrainRound[]; bare: DrainRound[] };
}

export interface Workers {
  /** The median rounds by jobs/s. */
  crm: DrainRound;
  bare: DrainRound;
  /** crm-sync / bare durable worker: the median of the rounds' own ratios. */
  ratio: number;
  roundRatios: number[];
  rounds: { crm: DrainRound[]; bare: DrainRound[] };
  counts: WorkerCounts[];
  /** billing-sync and support-context, each beside its own bare durable worker. */
  pairs?: (PairRounds & { name: string; jobs: string })[];
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  /** The bench's own process, which runs the load generators. */
  generatorFlags: string[];
  generatorHeapLimitMb: number;
  at: string;
}

export interface Schedule {
  quick: boolean;
  rounds: number;
  roundSeconds: number;
  warmupSeconds: number;
  connections: number;
}

export interface BenchResults {
  schedule: Schedule;
  ingest: IngestVsBaseline;
  fixedRate: FixedRate;
  replicas: Replicas;
  endToEndSustained: EndToEnd;
  endToEnd: EndToEnd;
  worker: WorkerThroughput;
  /** Absent in results from before the bare durable worker was measured. */
  workers?: Workers;
  memory: Memory;
  processes: ProcessSettings[];
  noise: NoiseReport;
  machine: Machine;
}

const n = (x: number) => x.toLocaleString("en-US");

const flags = (nodeFlags: string[], heapLimitMb: number) =>
  `node ${nodeFlags.length > 0 ? nodeFlags.join(" ") : "without flags"} (${
    nodeFlags.some((f) => /^--max-(old|semi)-space-size/.test(f)) ? "" : "V8's default heap, "
  }limit ${n(heapLimitMb)} MiB)`;

function processRow(p: ProcessSettings): string {
  const workers =
    p.workerConcurrency === undefined ? "runs no queue worker" : `WORKER_CONCURRENCY ${p.workerConcurrency}`;
  return `| ${p.name} process settings | ${workers}; ${flags(p.nodeFlags, p.heapLimitMb)} |`;
}

const endToEndRow = (e: EndToEnd, what: string) =>
  `| end to end at a steady ${n(e.rate)} events/s (signup in -> CRM contact; ${what}) | p50 ${e.p50} ms, p95 ${e.p95} ms, p99 ${e.p99} ms (${e.sent} events sent, ${e.accepted} accepted) |`;

const ms3 = (x: number) => x.toFixed(3);

function replicaRow(run: ReplicaRun, what: string): string {
  const c = run.perRequest;
  return `| ${what} | CPU per request: ingest ${ms3(c.ingest)} ms, Postgres ${ms3(c.postgres)} ms, Redis ${ms3(c.redis)} ms, the three ${ms3(c.servers)} ms, machine ${ms3(c.machine)} ms; ${run.commitsPerRequest.toFixed(2)} Postgres commits per event; p50 ${run.p50} ms, p99 ${run.p99} ms (${run.non2xx} non-2xx, ${run.errors} errors) |`;
}

/** The replicas scenario's rows: one process, two, and the ratios. */
export function replicaRows(r: Replicas, rounds: number): string[] {
  const each = (k: keyof ReplicaRatios) => `${r.ratio[k]} (rounds ${r.roundRatios[k].join(", ")})`;
  return [
    replicaRow(
      r.one,
      `${n(r.rate)} signed events/s on 1 ingest process (open loop; median of ${rounds} round${rounds === 1 ? "" : "s"} of ${r.seconds} s)`,
    ),
    replicaRow(r.two, `the same ${n(r.rate)} events/s split over 2 ingest processes (${n(r.rate / 2)} each)`),
    `| 2 ingest processes / 1, CPU per request (median of the rounds' ratios) | ingest ${each("ingest")}; ingest + Postgres + Redis ${each("servers")}; machine ${each("machine")} |`,
  ];
}

/** The workers scenario's rows: the ratio to the bare durable worker, then each role's counts. */
export function workerRows(w: Workers, concurrency: number | undefined): string[] {
  const rate = (x: DrainRound) => `${n(x.jobsPerSecond)} jobs/s, RSS after the drain ${x.rssAfterMb} MiB`;
  const pairRow = (name: string, jobs: string, p: PairRounds) =>
    `| ${name} / bare durable worker, ${n(p.worker.backlog)} ${jobs} drained at WORKER_CONCURRENCY ${concurrency ?? "?"} (median of ${p.roundRatios.length} interleaved round${p.roundRatios.length === 1 ? "" : "s"}' ratios) | ${p.ratio} (rounds ${p.roundRatios.join(", ")}); ${name} ${rate(p.worker)} (rounds ${p.rounds.worker.map((x) => x.jobsPerSecond).join(", ")}); bare ${rate(p.bare)} (rounds ${p.rounds.bare.map((x) => x.jobsPerSecond).join(", ")}) |`;
  const crm = {
    worker: w.crm,
    bare: w.bare,
    ratio: w.ratio,
    roundRatios: w.roundRatios,
    rounds: { worker: w.rounds.crm, bare: w.rounds.bare },
  };
  return [
    pairRow("crm-sync", "signups", crm),
    ...(w.pairs ?? []).map((p) => pairRow(p.name, p.jobs, p)),
    ...w.counts.map(
      (c) =>
        `| ${c.worker} per job (${n(c.jobs)} jobs through a counting relay) | ${c.statementsPerJob} statements, ${c.roundTripsPerJob} round trips, ${c.commitsPerJob} commits on the wire (${c.xactCommitsPerJob} by pg_stat_database.xact_commit); RSS idle ${c.rssIdleMb} MiB, after the drain ${c.rssAfterMb} MiB |`,
    ),
  ];
}

export function renderTable(r: BenchResults): string {
  const { schedule: s, ingest: i, fixedRate: f, worker: w } = r;
  return [
    "| measure | result |",
    "|---|---|",
    `| ingest, Stripe-signed, ${s.connections} connections (median of ${s.rounds} round${s.rounds === 1 ? "" : "s"} of ${s.roundSeconds} s, after ${s.warmupSeconds} s of warm-up) | ${i.switchyard.rps} req/s, p50 ${i.switchyard.p50} ms, p99 ${i.switchyard.p99} ms (${i.switchyard.non2xx} non-2xx; rounds ${i.rounds.switchyard.map((x) => x.rps).join(", ")}) |`,
    `| bare baseline (HMAC + insert + LPUSH), ${s.connections} connections | ${i.baseline.rps} req/s, p50 ${i.baseline.p50} ms, p99 ${i.baseline.p99} ms (rounds ${i.rounds.baseline.map((x) => x.rps).join(", ")}) |`,
    `| Switchyard / baseline (median of the rounds' ratios) | ${i.ratio} (rounds ${i.roundRatios.join(", ")}) |`,
    `| ingest at a steady ${n(f.rate)} events/s (open loop, evenly spaced) | p50 ${f.ingest.p50} ms, p99 ${f.ingest.p99} ms (${f.ingest.non2xx} non-2xx, ${f.ingest.errors} errors) |`,
    `| bare baseline at a steady ${n(f.rate)} events/s (open loop, evenly spaced) | p50 ${f.baseline.p50} ms, p99 ${f.baseline.p99} ms |`,
    ...replicaRows(r.replicas, s.rounds),
    endToEndRow(r.endToEndSustained, "one worker process"),
    endToEndRow(r.endToEnd, "one worker process"),
    `| one crm-sync worker process | ${w.jobsPerSecond} jobs/s once running (the last ${w.timedJobs} of ${n(w.backlog)}; all ${n(w.backlog)} took ${w.seconds} s from the process's start) |`,
    ...(r.workers
      ? workerRows(r.workers, r.processes.find((p) => p.name === "crm-sync worker")?.workerConcurrency)
      : []),
    `| peak RSS | ingest ${r.memory.ingestPeakRssMb} MiB, worker ${r.memory.workerPeakRssMb} MiB${
      r.memory.ingestIdleRssMb === undefined
        ? ""
        : `; ingest ${r.memory.ingestIdleRssMb} MiB idle, ${r.memory.ingestAfterRoundsRssMb} MiB after the saturated rounds`
    } |`,
    ...r.processes.map(processRow),
    `| load generators (the bench's own process) | ${flags(r.machine.generatorFlags, r.machine.generatorHeapLimitMb)} |`,
  ].join("\n");
}

export function renderNoise(noise: NoiseReport): string {
  const lines = ["## Noise seen", ""];
  if (noise.seen.length === 0) lines.push("- none of the sources the bench knows of");
  else for (const line of noise.seen) lines.push(`- ${line}`);
  if (noise.clear.length > 0) lines.push("", `Checked and clear: ${noise.clear.join("; ")}.`);
  return lines.join("\n");
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const quick = r.schedule.quick
    ? "A quick smoke run (`--quick`): a shortened schedule, so these figures only show that the bench works.\n\n"
    : "";
  return `${quick}${renderTable(r)}

Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GiB, Node ${m.node}; load generators on the same machine (autocannon for the ${r.schedule.connections}-connection rounds, an open-loop generator on plain sockets, with evenly spaced requests signed before the clock starts, for the fixed rates); measured as the machine runs, nothing on it changed; ${m.at}.

${renderNoise(r.noise)}
`;
}

/** Writes latest.json and latest.md into `out`; returns the markdown. */
export function writeResults(r: BenchResults, out: string): string {
  const markdown = renderMarkdown(r);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, "latest.json"), `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(join(out, "latest.md"), markdown);
  return markdown;
}
