// `pnpm bench`: Switchyard ingest against a bare baseline on the same machine, latency at a fixed
// rate, end-to-end latency, worker throughput, memory and two ingest replicas against one,
// measured on the machine as it is, with what may add noise reported beside the figures. Writes latest.{json,md} (settings.ts says where).
// A benchmark, not a test.
import { cpus, totalmem } from "node:os";
import { getHeapStatistics } from "node:v8";
import { freePort } from "@switchyard/testkit";
import { sleep } from "./load.ts";
import { Processes, peakRssMb, rssMb, stop } from "./processes.ts";
import { type BenchResults, writeResults } from "./report.ts";
import { endToEnd } from "./scenarios/end-to-end.ts";
import { ingestVsBaseline } from "./scenarios/ingest-vs-baseline.ts";
import { replicas } from "./scenarios/replicas.ts";
import { workers } from "./scenarios/workers.ts";
import { parseSettings, repoPath } from "./settings.ts";
import { openRun, type Run } from "./setup.ts";

const settings = parseSettings(process.argv.slice(2));
const processes = new Processes();
let run: Run | undefined;
// However a run ends short of SIGKILL, it leaves no process, database or keys behind.
for (const [signal, number] of [
  ["SIGINT", 2],
  ["SIGTERM", 15],
  ["SIGHUP", 1],
] as const) {
  process.once(signal, () => {
    processes.killAll();
    void Promise.resolve(run?.close()).finally(() => process.exit(128 + number));
  });
}

run = await openRun({ workerConcurrency: settings.workerConcurrency, processes });
let results: BenchResults;
try {
  const ingestPort = await freePort();
  const ingest = processes.start("ingest", repoPath("apps/ingest/src/main.ts"), {
    env: { ...run.env, INGEST_PORT: String(ingestPort), LOG_LEVEL: "info" },
    nodeFlags: settings.nodeFlags.ingest,
  });
  await ingest.ready("ingest listening");
  await sleep(1_000);
  const ingestIdleRssMb = rssMb(ingest.child);
  const ctx = { run, settings, ingestUrl: `http://127.0.0.1:${ingestPort}` };

  const { ingest: vsBaseline, fixedRate } = await ingestVsBaseline(ctx);
  const ingestAfterRoundsRssMb = rssMb(ingest.child);
  const { sustained, backlogged } = await endToEnd(ctx);
  const workerResults = await workers(ctx);
  const { rssAfterMb: _after, peakRssMb: _peak, ...worker } = workerResults.crm;
  const peaks = {
    ingestPeakRssMb: peakRssMb(ingest.child),
    workerPeakRssMb: Math.max(...workerResults.rounds.crm.map((x) => x.peakRssMb)),
    ingestIdleRssMb,
    ingestAfterRoundsRssMb,
  };
  await stop(ingest.child);
  // Last, on processes of its own: the ones above measured a single ingest.
  const replicaResults = await replicas(ctx);

  results = {
    schedule: {
      quick: settings.quick,
      rounds: settings.rounds,
      roundSeconds: settings.roundSeconds,
      warmupSeconds: settings.warmupSeconds,
      connections: settings.connections,
    },
    ingest: vsBaseline,
    fixedRate,
    replicas: replicaResults,
    endToEndSustained: sustained,
    endToEnd: backlogged,
    worker,
    workers: workerResults,
    memory: peaks,
    processes: processes.settings(),
    noise: run.noise,
    machine: {
      cpu: cpus()[0]?.model ?? "unknown CPU",
      cores: cpus().length,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      generatorFlags: process.execArgv,
      generatorHeapLimitMb: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
      at: new Date().toISOString(),
    },
  };
} finally {
  await run.close();
}
const markdown = writeResults(results, settings.out);
process.stdout.write(`\n${markdown}\nwritten to ${settings.out}/latest.{json,md}\n`);
