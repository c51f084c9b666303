// How long and how hard each scenario runs. `--quick` is a smoke run of every scenario on a
// shortened schedule: its figures say the bench works, not how fast Switchyard is, so it writes
// outside bench/results unless told where.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export interface BenchSettings {
  quick: boolean;
  /** Where latest.json and latest.md go. */
  out: string;
  /** Saturated and fixed-rate rounds, each server once per round. */
  rounds: number;
  roundSeconds: number;
  /** Connections of the saturated runs. */
  connections: number;
  /** The fixed rate, in events per second. */
  steadyRate: number;
  warmupSeconds: number;
  /** The rest between a saturated run and the next fixed-rate one. */
  settleMs: number;
  /** Each end-to-end run's length. */
  endToEndSeconds: number;
  /** A rate one crm-sync process keeps up with on a 2-core machine. */
  sustainedRate: number;
  /** The rate one crm-sync process must keep up with on a 2-core machine (p95 under 100 ms). */
  backlogRate: number;
  endToEndWarmupSeconds: number;
  /** Jobs the worker throughput scenario drains. */
  backlog: number;
  /** Jobs done before the worker's rate is timed. */
  untimedJobs: number;
  workerConcurrency: number;
  /** Interleaved rounds of crm-sync and the bare durable worker, each draining `backlog`. */
  workerRounds: number;
  /** Jobs of each worker role drained through the counting relay. */
  countedJobs: number;
  /** Flags for node in each measured process; none means V8's defaults. */
  nodeFlags: { ingest: string[]; baseline: string[]; worker: string[] };
}

export const repoPath = (rel: string) => fileURLToPath(new URL(`../../../${rel}`, import.meta.url));

const FULL: Omit<BenchSettings, "out"> = {
  quick: false,
  rounds: 5,
  roundSeconds: 5,
  connections: 64,
  steadyRate: 1_000,
  // Ingest runs far more code than the bare handler, and V8 keeps optimizing it for a while: its
  // main-thread CPU per request stops falling after about 10 s of load. Both are measured warm.
  warmupSeconds: 10,
  settleMs: 2_000,
  endToEndSeconds: 10,
  sustainedRate: 200,
  backlogRate: 500,
  endToEndWarmupSeconds: 5,
  backlog: 5_000,
  // Loading its code, connecting and the first jobs' unoptimized runs happen once per process.
  untimedJobs: 100,
  // The default (WORKER_CONCURRENCY), which is what users run.
  workerConcurrency: 10,
  workerRounds: 3,
  countedJobs: 500,
  // Each role's flags as the image sets them (infra/Dockerfile's runtime and worker stages); the
  // baseline keeps V8's defaults, and the bare durable worker runs with the workers' flags.
  nodeFlags: {
    ingest: ["--max-semi-space-size=4", "--max-old-space-size=256"],
    baseline: [],
    worker: ["--max-semi-space-size=4", "--optimize-for-size"],
  },
};

const QUICK: Omit<BenchSettings, "out"> = {
  ...FULL,
  quick: true,
  rounds: 1,
  roundSeconds: 1,
  warmupSeconds: 1,
  settleMs: 200,
  endToEndSeconds: 1,
  endToEndWarmupSeconds: 1,
  backlog: 500,
  workerRounds: 1,
  countedJobs: 100,
};

/** `--quick` for a smoke run; `--out DIR` to write the results elsewhere. */
export function parseSettings(argv: string[]): BenchSettings {
  const quick = argv.includes("--quick");
  const outAt = argv.indexOf("--out");
  const given = outAt >= 0 ? argv[outAt + 1] : undefined;
  if (outAt >= 0 && !given) throw new Error("--out needs a directory");
  const out = given ?? (quick ? join(tmpdir(), "switchyard-bench-quick") : repoPath("bench/results"));
  return { ...(quick ? QUICK : FULL), out };
}
