// Ingest replicas on one box: the same total rate of signed Stripe events on one ingest process,
// then split evenly over two, taking turns over the rounds, with what each costs in CPU per
// request: ingest's own, Postgres's and Redis's (by process name, so anything else using the same
// servers meanwhile lands there too) and the machine's but the load generator's.
import { freePort } from "@switchyard/testkit";
import { type CpuSnapshot, type CpuSpent, cpuSnapshot, cpuSpent, ticksPerSecond } from "../cpu.ts";
import { median, sleep, stripeSigned } from "../load.ts";
import { type Started, stop } from "../processes.ts";
import type { ReplicaRatios, ReplicaRun, Replicas } from "../report.ts";
import { repoPath } from "../settings.ts";
import { type SteadyResult, steadyLoad } from "../steady.ts";
import type { Context } from "./context.ts";

/** Connections in all: each of n generators gets its share. */
const CONNECTIONS = 64;
// PG 15 backends report their commits to pg_stat_database at most once a second, and an idle one
// within a second of going idle: read the count after that.
const STATS_LAG_MS = 1_200;

async function startIngest(ctx: Context): Promise<{ started: Started; url: string }> {
  const port = await freePort();
  const started = ctx.run.processes.start("ingest", repoPath("apps/ingest/src/main.ts"), {
    env: { ...ctx.run.env, INGEST_PORT: String(port), LOG_LEVEL: "info" },
    nodeFlags: ctx.settings.nodeFlags.ingest,
  });
  await started.ready("ingest listening");
  return { started, url: `http://127.0.0.1:${port}/webhooks/stripe` };
}

/** One run's figures from what its generators saw and what the processes spent. */
export function replicaRun(replicas: number, seen: SteadyResult[], spent: CpuSpent, commits: number): ReplicaRun {
  const requests = seen.reduce((sum, r) => sum + r.total, 0);
  const per = (ms: number) => Number((ms / Math.max(1, requests)).toFixed(4));
  return {
    replicas,
    requests,
    non2xx: seen.reduce((sum, r) => sum + r.non2xx, 0),
    errors: seen.reduce((sum, r) => sum + r.errors, 0),
    p50: Math.max(...seen.map((r) => r.p50)),
    p99: Math.max(...seen.map((r) => r.p99)),
    perRequest: {
      ingest: per(spent.ingest),
      postgres: per(spent.postgres),
      redis: per(spent.redis),
      servers: per(spent.ingest + spent.postgres + spent.redis),
      machine: per(spent.machine),
    },
    commitsPerRequest: Number((commits / Math.max(1, requests)).toFixed(3)),
  };
}

/** Two processes' CPU per request over one's, round by round; the median of those is the figure. */
export function replicasOf(rate: number, seconds: number, rounds: Replicas["rounds"]): Replicas {
  const ratios = (k: keyof ReplicaRatios) =>
    rounds.one.map((one, i) => Number(((rounds.two[i]?.perRequest[k] ?? Number.NaN) / one.perRequest[k]).toFixed(2)));
  const roundRatios = { ingest: ratios("ingest"), servers: ratios("servers"), machine: ratios("machine") };
  const mid = (xs: number[]) => median(xs, (x) => x);
  return {
    rate,
    seconds,
    one: median(rounds.one, (r) => r.perRequest.ingest),
    two: median(rounds.two, (r) => r.perRequest.ingest),
    ratio: { ingest: mid(roundRatios.ingest), servers: mid(roundRatios.servers), machine: mid(roundRatios.machine) },
    roundRatios,
    rounds,
  };
}

export async function replicas(ctx: Context): Promise<Replicas> {
  const { run, settings: s } = ctx;
  const hz = ticksPerSecond();
  const signed = stripeSigned(run.secret);
  // Three processes started alike: one alone, and a pair. All three count as ingest in every run,
  // since any of their relays may take a pass over the rows the others recorded.
  const procs = [await startIngest(ctx), await startIngest(ctx), await startIngest(ctx)];
  const pids = procs.map((p) => p.started.child.pid as number);
  const single = procs.slice(0, 1).map((p) => p.url);
  const pair = procs.slice(1).map((p) => p.url);
  const commits = async () =>
    Number(
      (await run.sql`select xact_commit::bigint as n from pg_stat_database where datname = current_database()`)[0]?.n,
    );
  const load = (urls: string[], seconds: number) =>
    Promise.all(
      urls.map((url) =>
        steadyLoad(url, signed, { rate: s.steadyRate / urls.length, seconds, connections: CONNECTIONS / urls.length }),
      ),
    );

  async function measure(urls: string[]): Promise<ReplicaRun> {
    const c0 = await commits();
    const snap = (): CpuSnapshot => {
      const at = cpuSnapshot(pids);
      // The generator (this process) is the bench's own cost, not the servers'.
      const own = process.cpuUsage();
      return { ...at, machine: at.machine - ((own.user + own.system) / 1e6) * hz };
    };
    const a = snap();
    const seen = await load(urls, s.roundSeconds);
    const b = snap();
    await sleep(STATS_LAG_MS);
    return replicaRun(urls.length, seen, cpuSpent(a, b, hz), (await commits()) - c0);
  }

  await load(single, s.warmupSeconds);
  await load(pair, s.warmupSeconds);
  await sleep(s.settleMs);
  const rounds = { one: [] as ReplicaRun[], two: [] as ReplicaRun[] };
  for (let i = 0; i < s.rounds; i++) {
    // A run leaves Postgres with work to catch up on: the two take turns at going first.
    const order = i % 2 === 0 ? [single, pair] : [pair, single];
    for (const urls of order) {
      (urls.length === 1 ? rounds.one : rounds.two).push(await measure(urls));
      await sleep(s.settleMs);
    }
  }
  for (const p of procs) await stop(p.started.child);
  return replicasOf(s.steadyRate, s.roundSeconds, rounds);
}
