// What on this machine, besides the bench, may move its figures. Everything here only reads: a
// benchmark measures the machine as it is, so a noise source is reported beside the figures, never
// switched off. Every path is taken under `root`, so tests can hand it a fake tree.
import { readdirSync, readFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";

export interface Kdamond {
  id: string;
  /** The kdamond's `state` file as read: "on", "off", ... */
  state: string;
}

export type DamonSeen =
  /** The kernel has no DAMON sysfs interface (or none is mounted). */
  | { kind: "absent" }
  /** The interface is there but its state could not be read (not root, say). */
  | { kind: "unreadable"; error: string }
  | { kind: "read"; kdamonds: Kdamond[] };

export interface Governor {
  governor: string;
  cpus: number[];
}

export interface LoadAverage {
  one: number;
  five: number;
  fifteen: number;
  /** Runnable scheduling entities and all of them, the fourth field of /proc/loadavg. */
  runnable: number;
  threads: number;
}

export interface CpuShare {
  /** Over how long the busy share was sampled. */
  seconds: number;
  /** Share of all cores' time spent busy (not idle, not waiting on I/O), 0–1. */
  busy: number;
  /** Share of all cores' time the hypervisor gave to someone else, 0–1. */
  steal: number;
}

export interface BusyProcess {
  pid: number;
  name: string;
  /** CPU used over the sample, as a share of one core. */
  cores: number;
}

export interface NoiseReport {
  root: string;
  cores: number;
  damon: DamonSeen;
  /** One entry per governor in use; empty where the kernel exposes no cpufreq (most VMs). */
  governors: Governor[];
  load: LoadAverage | undefined;
  cpu: CpuShare | undefined;
  /** Other processes that used CPU during the sample, busiest first. */
  busyProcesses: BusyProcess[];
  /** One line per noise source found, as the report prints them. */
  seen: string[];
  /** One line per check that found nothing, so a clean section still says what was looked at. */
  clear: string[];
}

export interface NoiseOptions {
  /** Where /sys and /proc are looked for. */
  root?: string;
  /** How long the CPU use of the machine and of each process is sampled. */
  sampleMs?: number;
  /** Processes not to count as other load (the bench itself). */
  exclude?: number[];
}

// An idle machine's 1-minute load average sits near 0; anything from here up means work the
// bench will share the cores with. The shares are of the whole machine or of one core.
const LOAD_PER_CORE = 0.25;
const BUSY_SHARE = 0.1;
const STEAL_SHARE = 0.02;
const PROCESS_CORES = 0.05;
const LISTED_PROCESSES = 5;

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
};

const list = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

const errorCode = (err: unknown) => (err as { code?: string }).code ?? String(err);

function damonOf(root: string): DamonSeen {
  const admin = join(root, "sys/kernel/mm/damon/admin/kdamonds");
  let ids: string[];
  try {
    ids = readdirSync(admin).filter((d) => /^\d+$/.test(d));
  } catch (err) {
    return errorCode(err) === "ENOENT" ? { kind: "absent" } : { kind: "unreadable", error: errorCode(err) };
  }
  const kdamonds: Kdamond[] = [];
  for (const id of ids.sort((a, b) => Number(a) - Number(b))) {
    try {
      kdamonds.push({ id, state: readFileSync(join(admin, id, "state"), "utf8").trim() });
    } catch (err) {
      return { kind: "unreadable", error: errorCode(err) };
    }
  }
  return { kind: "read", kdamonds };
}

function governorsOf(root: string): Governor[] {
  const base = join(root, "sys/devices/system/cpu");
  const byGovernor = new Map<string, number[]>();
  for (const dir of list(base)) {
    const cpu = /^cpu(\d+)$/.exec(dir)?.[1];
    if (cpu === undefined) continue;
    const governor = read(join(base, dir, "cpufreq/scaling_governor"))?.trim();
    if (!governor) continue;
    byGovernor.set(governor, [...(byGovernor.get(governor) ?? []), Number(cpu)]);
  }
  return [...byGovernor].map(([governor, ids]) => ({ governor, cpus: ids.sort((a, b) => a - b) }));
}

function loadOf(root: string): LoadAverage | undefined {
  const m = /^([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\/(\d+)/.exec(read(join(root, "proc/loadavg")) ?? "");
  if (!m) return undefined;
  return {
    one: Number(m[1]),
    five: Number(m[2]),
    fifteen: Number(m[3]),
    runnable: Number(m[4]),
    threads: Number(m[5]),
  };
}

export interface StatSample {
  /** The aggregate "cpu" line's fields, in clock ticks. */
  total: number;
  idle: number;
  steal: number;
  cores: number;
}

export function statOf(root: string): StatSample | undefined {
  const text = read(join(root, "proc/stat"));
  const fields = /^cpu\s+(.+)$/m
    .exec(text ?? "")?.[1]
    ?.trim()
    .split(/\s+/)
    .map(Number);
  if (!text || !fields || fields.length < 4) return undefined;
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already
  // counted in user and nice.
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  return {
    total: user + nice + system + idle + iowait + irq + softirq + steal,
    idle: idle + iowait,
    steal,
    cores: text.match(/^cpu\d+\s/gm)?.length ?? 0,
  };
}

/** utime + stime of every process, in clock ticks, with its name. */
export function processTicks(root: string, exclude: Set<number>): Map<number, { name: string; ticks: number }> {
  const ticks = new Map<number, { name: string; ticks: number }>();
  const proc = join(root, "proc");
  for (const dir of list(proc)) {
    if (!/^\d+$/.test(dir) || exclude.has(Number(dir))) continue;
    const stat = read(join(proc, dir, "stat"));
    if (!stat) continue;
    // The name is in parentheses and may hold spaces or parentheses itself: the fields after it
    // start at the last ")".
    const close = stat.lastIndexOf(")");
    const name = stat.slice(stat.indexOf("(") + 1, close);
    const rest = stat
      .slice(close + 2)
      .trim()
      .split(/\s+/);
    // Fields 14 and 15 of the line (utime, stime) are the 12th and 13th after the name.
    const used = Number(rest[11]) + Number(rest[12]);
    if (Number.isFinite(used)) ticks.set(Number(dir), { name, ticks: used });
  }
  return ticks;
}

const percent = (share: number) => `${Math.round(share * 100)}%`;
const coresUsed = (cores: number) => (cores >= 1 ? `${cores.toFixed(1)} cores` : `${percent(cores)} of a core`);

/** Reads what may add noise to the run; never writes, and never throws over a file it cannot read. */
export async function detectNoise(opts: NoiseOptions = {}): Promise<NoiseReport> {
  const root = opts.root ?? "/";
  const sampleMs = opts.sampleMs ?? 1_000;
  const exclude = new Set(opts.exclude ?? [process.pid]);

  const statBefore = statOf(root);
  const ticksBefore = processTicks(root, exclude);
  await new Promise((r) => setTimeout(r, sampleMs));
  const statAfter = statOf(root);
  const ticksAfter = processTicks(root, exclude);

  const cores = statAfter?.cores || cpus().length;
  const elapsed = statBefore && statAfter ? statAfter.total - statBefore.total : 0;
  // A static /proc (a fake tree, or a sample too short for a tick) gives nothing to divide by.
  const cpu: CpuShare | undefined =
    statBefore && statAfter && elapsed > 0
      ? {
          seconds: sampleMs / 1000,
          busy: 1 - (statAfter.idle - statBefore.idle) / elapsed,
          steal: (statAfter.steal - statBefore.steal) / elapsed,
        }
      : undefined;
  const busyProcesses: BusyProcess[] = [];
  if (elapsed > 0) {
    const ticksPerCore = elapsed / cores;
    for (const [pid, after] of ticksAfter) {
      const before = ticksBefore.get(pid);
      if (!before) continue;
      const used = (after.ticks - before.ticks) / ticksPerCore;
      if (used >= PROCESS_CORES) busyProcesses.push({ pid, name: after.name, cores: used });
    }
    busyProcesses.sort((a, b) => b.cores - a.cores);
  }

  const damon = damonOf(root);
  const governors = governorsOf(root);
  const load = loadOf(root);
  const seen: string[] = [];
  const clear: string[] = [];

  if (damon.kind === "unreadable")
    seen.push(`DAMON (the kernel's memory monitor): its state could not be read (${damon.error}); it may be running`);
  else {
    const running = damon.kind === "read" ? damon.kdamonds.filter((k) => k.state === "on") : [];
    if (running.length > 0)
      seen.push(
        `DAMON (the kernel's memory monitor) running: ${running.map((k) => `kdamond ${k.id}`).join(", ")} on; its memory sampling can stall the machine, and every row includes it`,
      );
    else clear.push(damon.kind === "absent" ? "no DAMON interface" : "no kdamond running");
  }

  // "performance" holds the top clock; every other governor moves the clock with load.
  const scaling = governors.filter((g) => g.governor !== "performance");
  for (const g of scaling)
    seen.push(
      `CPU frequency scaling: governor ${g.governor} on cpu ${g.cpus.join(", ")}; the clock speed follows the load`,
    );
  if (scaling.length === 0)
    clear.push(governors.length === 0 ? "no cpufreq governor exposed" : "cpufreq governor performance");

  if (load) {
    const line = `load average ${load.one}, ${load.five}, ${load.fifteen} (1, 5, 15 min) on ${cores} cores before the run, ${load.runnable} of ${load.threads} threads runnable`;
    if (load.one >= LOAD_PER_CORE * cores) seen.push(`Other load: ${line}`);
    else clear.push(line);
  }
  if (cpu) {
    const line = `CPU ${percent(cpu.busy)} busy over ${cpu.seconds} s before the run (steal ${percent(cpu.steal)})`;
    if (cpu.busy >= BUSY_SHARE || cpu.steal >= STEAL_SHARE) seen.push(`Other load: ${line}`);
    else clear.push(line);
  }
  if (busyProcesses.length > 0)
    seen.push(
      `Other processes using CPU before the run: ${busyProcesses
        .slice(0, LISTED_PROCESSES)
        .map((p) => `${p.name} (pid ${p.pid}) ${coresUsed(p.cores)}`)
        .join(", ")}`,
    );

  return { root, cores, damon, governors, load, cpu, busyProcesses, seen, clear };
}
