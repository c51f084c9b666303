// DAMON, the kernel's data access monitor, runs on some VMs as proactive reclaim: a kdamond thread
// samples physical memory (every 0.5 s on the machine the README quotes) and pages out what looks
// cold. Each sample stalled that 2-core VM: at 1,000/s either server answered a burst of requests
// 25–50 ms late every ~0.55 s, an idle process's timers ran late at the same moments, and that
// burst was the p99 of each. The bench measures the fixed rates both ways: with the monitor as
// the machine runs it, and then paused, which leaves the servers' own latency. In that order:
// just after a resume the stalls were absent, and back within about a minute.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ADMIN = "/sys/kernel/mm/damon/admin/kdamonds";
// Which kdamonds a run paused, so that a run killed outright (SIGKILL, OOM) is undone by the next.
const MARKER = join(tmpdir(), "switchyard-bench-paused-kdamonds.json");

export type KernelMonitor = {
  /** No kdamond running; kdamonds the bench may not read or stop; or kdamonds it can pause. */
  state: "absent" | "not permitted" | "pausable";
  /** Stops the kdamonds that are running. A no-op unless `pausable`. */
  pause(): void;
  /**
   * Starts again exactly those `pause()` stopped. Never throws: a kdamond it cannot start is
   * reported on stderr with the command that starts it.
   */
  resume(): void;
};

type Io = {
  list(dir: string): string[];
  read(file: string): string;
  write(file: string, value: string): void;
  remove(file: string): void;
  warn(message: string): void;
};

const fsIo: Io = {
  list: (dir) => readdirSync(dir),
  read: (file) => readFileSync(file, "utf8"),
  write: (file, value) => writeFileSync(file, value),
  remove: (file) => rmSync(file, { force: true }),
  warn: (message) => process.stderr.write(`${message}\n`),
};

const code = (err: unknown) => (err as { code?: string }).code;

/** `admin`, `marker` and `io` are for tests: a folder, a marker and file access of their own. */
export function kernelMonitor(opts: { admin?: string; marker?: string; io?: Partial<Io> } = {}): KernelMonitor {
  const admin = opts.admin ?? ADMIN;
  const marker = opts.marker ?? MARKER;
  const io: Io = { ...fsIo, ...opts.io };
  const none = (state: KernelMonitor["state"]): KernelMonitor => ({ state, pause() {}, resume() {} });

  /** Starts these kdamonds; the marker is then left listing only those that would not start. */
  const restart = (states: string[]) => {
    const failed: string[] = [];
    for (const state of states) {
      try {
        if (io.read(state).trim() !== "on") io.write(state, "on");
      } catch (err) {
        failed.push(state);
        io.warn(`could not restart DAMON (${code(err) ?? String(err)}): run  echo on > ${state}`);
      }
    }
    try {
      if (failed.length === 0) io.remove(marker);
      else io.write(marker, JSON.stringify(failed));
    } catch {
      // the warnings above already say what to run
    }
  };

  // What an earlier run paused and never restarted comes first.
  let left: unknown;
  try {
    left = JSON.parse(io.read(marker));
  } catch {
    // no marker, or one that cannot be read: nothing to undo
  }
  if (Array.isArray(left)) restart(left.filter((state): state is string => typeof state === "string"));

  let states: string[];
  try {
    states = io
      .list(admin)
      .filter((d) => /^\d+$/.test(d))
      .map((d) => `${admin}/${d}/state`);
  } catch (err) {
    return none(code(err) === "ENOENT" ? "absent" : "not permitted");
  }
  let running: string[];
  try {
    running = states.filter((state) => io.read(state).trim() === "on");
  } catch {
    return none("not permitted"); // the state files are root's alone
  }
  if (running.length === 0) return none("absent");

  let paused: string[] = [];
  function resume() {
    if (paused.length === 0) return;
    const stopped = paused;
    paused = [];
    restart(stopped);
  }
  function pause() {
    try {
      for (const state of running) {
        if (io.read(state).trim() !== "on") continue; // stopped by someone else: not ours to start
        // Noted before the write, so that a write that fails half way is still undone.
        paused.push(state);
        io.write(marker, JSON.stringify(paused));
        io.write(state, "off");
      }
    } catch (err) {
      resume();
      throw err;
    }
  }
  return { state: "pausable", pause, resume };
}
