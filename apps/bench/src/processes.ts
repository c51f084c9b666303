// The processes a run measures: each is started with the node flags and environment the report
// states, and every one is tracked so that a failed run leaves none behind.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface ProcessSettings {
  name: string;
  /** Flags given to node ahead of the script; empty means V8's defaults. */
  nodeFlags: string[];
  /** The old-space limit V8 picks for those flags on this machine, in MiB. */
  heapLimitMb: number;
  /** WORKER_CONCURRENCY, for a process that runs queue workers. */
  workerConcurrency: number | undefined;
}

export interface Started {
  child: ChildProcess;
  /** Waits until the process has printed `text` on stdout; throws after 20 s. */
  ready(text: string): Promise<void>;
  output(): string;
}

export interface StartOptions {
  args?: string[];
  env: Record<string, string>;
  nodeFlags?: string[];
  /** A queue worker's process: its settings include WORKER_CONCURRENCY. */
  worker?: boolean;
  /** False for a helper (the migration) whose settings the report need not state. */
  measured?: boolean;
}

export class Processes {
  private readonly children: ChildProcess[] = [];
  private readonly started = new Map<string, { nodeFlags: string[]; env: Record<string, string>; worker: boolean }>();

  start(name: string, script: string, opts: StartOptions): Started {
    const nodeFlags = opts.nodeFlags ?? [];
    // The environment is given whole, so no NODE_OPTIONS of the shell's changes the flags stated.
    const env = { LOG_LEVEL: "warn", ...opts.env };
    const child = spawn(process.execPath, [...nodeFlags, script, ...(opts.args ?? [])], {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.children.push(child);
    if (opts.measured !== false) this.started.set(name, { nodeFlags, env, worker: opts.worker ?? false });
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
    });
    const ready = async (text: string) => {
      for (let i = 0; i < 400 && !out.includes(text); i++) await new Promise((r) => setTimeout(r, 50));
      if (!out.includes(text)) throw new Error(`${script} never said "${text}": ${out}`);
    };
    return { child, ready, output: () => out };
  }

  /** Each named process's settings. Starts a short node per process: call it once nothing is measured. */
  settings(): ProcessSettings[] {
    return [...this.started].map(([name, { nodeFlags, env, worker }]) => ({
      name,
      nodeFlags,
      heapLimitMb: heapLimitMb(nodeFlags, env),
      workerConcurrency: worker ? Number(env.WORKER_CONCURRENCY) : undefined,
    }));
  }

  killAll(): void {
    for (const child of this.children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

export async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  return new Promise((r) => child.once("exit", (code) => r(code)));
}

/** Asks a node started the same way what heap limit it got. */
export function heapLimitMb(nodeFlags: string[], env: Record<string, string>): number {
  const probe = spawnSync(
    process.execPath,
    [...nodeFlags, "-p", "require('node:v8').getHeapStatistics().heap_size_limit"],
    { env, encoding: "utf8" },
  );
  return Math.round(Number(probe.stdout.trim()) / 2 ** 20);
}

/** Peak resident memory of a live process, in MiB (Linux). */
export function peakRssMb(child: ChildProcess, root = "/"): number {
  const status = readFileSync(join(root, "proc", String(child.pid), "status"), "utf8");
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

/** Resident memory of a live process right now, in MiB (Linux). */
export function rssMb(child: ChildProcess, root = "/"): number {
  const status = readFileSync(join(root, "proc", String(child.pid), "status"), "utf8");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}
