// CPU time spent by the processes a scenario measures, from /proc (read only): utime + stime of
// given pids, of every Postgres and Redis process by name, and the machine's busy time.
import { spawnSync } from "node:child_process";
import { processTicks, statOf } from "./noise.ts";

/** Clock ticks at one moment: per pid for each group, and the machine's busy ticks. */
export interface CpuSnapshot {
  ingest: Map<number, number>;
  postgres: Map<number, number>;
  redis: Map<number, number>;
  /** Busy ticks of the whole machine, summed over its cores (every process, the generator too). */
  machine: number;
}

/** CPU time between two snapshots, in ms. */
export interface CpuSpent {
  ingest: number;
  postgres: number;
  redis: number;
  machine: number;
}

const POSTGRES = new Set(["postgres", "postmaster"]);
const REDIS = new Set(["redis-server"]);

export function cpuSnapshot(ingestPids: number[], root = "/"): CpuSnapshot {
  const all = processTicks(root, new Set());
  const pick = (keep: (pid: number, name: string) => boolean) => {
    const out = new Map<number, number>();
    for (const [pid, { name, ticks }] of all) if (keep(pid, name)) out.set(pid, ticks);
    return out;
  };
  const stat = statOf(root);
  return {
    ingest: pick((pid) => ingestPids.includes(pid)),
    postgres: pick((_, name) => POSTGRES.has(name)),
    redis: pick((_, name) => REDIS.has(name)),
    machine: stat ? stat.total - stat.idle : 0,
  };
}

/**
 * What each group spent from `a` to `b`. A process that started in between counts from zero (a new
 * Postgres backend); one that ended in between is lost with its time, as /proc no longer has it.
 */
export function cpuSpent(a: CpuSnapshot, b: CpuSnapshot, ticksPerSecond: number): CpuSpent {
  const ms = (ticks: number) => (ticks * 1000) / ticksPerSecond;
  const group = (from: Map<number, number>, to: Map<number, number>) => {
    let sum = 0;
    for (const [pid, ticks] of to) sum += Math.max(0, ticks - (from.get(pid) ?? 0));
    return ms(sum);
  };
  return {
    ingest: group(a.ingest, b.ingest),
    postgres: group(a.postgres, b.postgres),
    redis: group(a.redis, b.redis),
    machine: ms(Math.max(0, b.machine - a.machine)),
  };
}

/** The kernel's USER_HZ, the unit of /proc's CPU times (100 on Linux unless built otherwise). */
export function ticksPerSecond(): number {
  const out = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const hz = Number(out.stdout?.trim());
  return Number.isFinite(hz) && hz > 0 ? hz : 100;
}
