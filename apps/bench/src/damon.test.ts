import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { kernelMonitor } from "./damon.ts";

const folders: string[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

/** A sysfs folder of kdamonds, one per given state, as the kernel lays it out. */
function fakeAdmin(states: string[]): { admin: string; state: (i: number) => string } {
  const admin = mkdtempSync(join(tmpdir(), "kdamonds-"));
  folders.push(admin);
  writeFileSync(join(admin, "nr_kdamonds"), `${states.length}\n`);
  for (const [i, state] of states.entries()) {
    mkdirSync(join(admin, String(i)));
    writeFileSync(join(admin, String(i), "state"), `${state}\n`);
  }
  return { admin, state: (i) => readFileSync(join(admin, String(i), "state"), "utf8").trim() };
}

describe("kernelMonitor", () => {
  it("pauses the kdamonds that run and starts exactly those again", () => {
    const { admin, state } = fakeAdmin(["on", "off", "on"]);
    const monitor = kernelMonitor(admin);
    expect(monitor.state).toBe("pausable");
    monitor.pause();
    expect([state(0), state(1), state(2)]).toEqual(["off", "off", "off"]);
    monitor.resume();
    expect([state(0), state(1), state(2)]).toEqual(["on", "off", "on"]);
  });

  it("leaves the machine alone when nothing was paused, and resumes once", () => {
    const { admin, state } = fakeAdmin(["on"]);
    const monitor = kernelMonitor(admin);
    monitor.resume();
    expect(state(0)).toBe("on");
    monitor.pause();
    monitor.resume();
    writeFileSync(join(admin, "0", "state"), "off\n"); // someone else stops it afterwards
    monitor.resume();
    expect(state(0)).toBe("off");
  });

  it("reports absent without DAMON, or with every kdamond already off", () => {
    expect(kernelMonitor(join(tmpdir(), "no-such-kdamonds")).state).toBe("absent");
    const { admin, state } = fakeAdmin(["off"]);
    const monitor = kernelMonitor(admin);
    expect(monitor.state).toBe("absent");
    monitor.pause();
    expect(state(0)).toBe("off");
  });
});
