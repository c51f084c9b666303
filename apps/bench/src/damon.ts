// DAMON, the kernel's data access monitor, runs on some VMs as proactive reclaim: a kdamond thread
// samples physical memory (every 0.5 s on the machine the README quotes) and pages out what looks
// cold. Each sample stalled that 2-core VM: at 1,000/s either server answered a burst of requests
// 25–50 ms late every ~0.55 s, an idle process's timers ran late at the same moments, and that
// burst was the p99 of each. The bench measures the fixed rates both ways: with the monitor as
// the machine runs it, and then paused, which leaves the servers' own latency. In that order:
// just after a resume the stalls were absent, and back within about a minute.
import { accessSync, constants, readdirSync, readFileSync, writeFileSync } from "node:fs";

const ADMIN = "/sys/kernel/mm/damon/admin/kdamonds";

export type KernelMonitor = {
  /** What the bench found: no DAMON, DAMON it may not touch, or kdamonds it can pause. */
  state: "absent" | "not permitted" | "pausable";
  /** Stops the kdamonds that were running; a no-op unless `pausable`. */
  pause(): void;
  /** Starts again exactly those the bench found running. */
  resume(): void;
};

/** `admin` is the sysfs folder of kdamonds; tests pass a folder of their own. */
export function kernelMonitor(admin = ADMIN): KernelMonitor {
  let running: string[];
  try {
    running = readdirSync(admin)
      .filter((d) => /^\d+$/.test(d))
      .map((d) => `${admin}/${d}/state`)
      .filter((state) => readFileSync(state, "utf8").trim() === "on");
  } catch {
    running = [];
  }
  // Only a change is written: "on" to a running kdamond is refused (EBUSY).
  const write = (value: "on" | "off") => {
    for (const state of running) if (readFileSync(state, "utf8").trim() !== value) writeFileSync(state, value);
  };
  if (running.length === 0) return { state: "absent", pause() {}, resume() {} };
  try {
    for (const state of running) accessSync(state, constants.W_OK);
  } catch {
    return { state: "not permitted", pause() {}, resume() {} };
  }
  let paused = false;
  return {
    state: "pausable",
    pause() {
      paused = true; // first: should one write fail, resume() still restarts the others
      write("off");
    },
    resume() {
      if (!paused) return;
      write("on");
      paused = false;
    },
  };
}
