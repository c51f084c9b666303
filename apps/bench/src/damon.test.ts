import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { kernelMonitor } from "./damon.ts";

const folders: string[] = [];
afterEach(() => {
  for (const f of folders.splice(0)) rmSync(f, { recursive: true, force: true });
});

/** A sysfs folder of kdamonds, one per given state, as the kernel lays it out, and a marker path. */
function fakeAdmin(states: string[]) {
  const root = mkdtempSync(join(tmpdir(), "kdamonds-"));
  folders.push(root);
  const admin = join(root, "kdamonds");
  mkdirSync(admin);
  writeFileSync(join(admin, "nr_kdamonds"), `${states.length}\n`);
  for (const [i, state] of states.entries()) {
    mkdirSync(join(admin, String(i)));
    writeFileSync(join(admin, String(i), "state"), `${state}\n`);
  }
  const file = (i: number) => join(admin, String(i), "state");
  return {
    admin,
    marker: join(root, "marker.json"),
    file,
    state: (i: number) => readFileSync(file(i), "utf8").trim(),
    set: (i: number, value: string) => writeFileSync(file(i), `${value}\n`),
  };
}

describe("kernelMonitor", () => {
  it("pauses the kdamonds that run and starts exactly those again", () => {
    const k = fakeAdmin(["on", "off", "on"]);
    const monitor = kernelMonitor(k);
    expect(monitor.state).toBe("pausable");
    monitor.pause();
    expect([k.state(0), k.state(1), k.state(2)]).toEqual(["off", "off", "off"]);
    monitor.resume();
    expect([k.state(0), k.state(1), k.state(2)]).toEqual(["on", "off", "on"]);
  });

  it("starts nothing it did not stop, and resumes once", () => {
    const k = fakeAdmin(["on", "on"]);
    const monitor = kernelMonitor(k);
    monitor.resume();
    expect(k.state(0)).toBe("on");
    k.set(1, "off"); // stopped by someone else before the pause
    monitor.pause();
    monitor.resume();
    expect([k.state(0), k.state(1)]).toEqual(["on", "off"]);
    k.set(0, "off"); // and afterwards
    monitor.resume();
    expect(k.state(0)).toBe("off");
  });

  it("reports absent without DAMON, or with every kdamond already off", () => {
    expect(kernelMonitor({ admin: join(tmpdir(), "no-such-kdamonds") }).state).toBe("absent");
    const k = fakeAdmin(["off"]);
    const monitor = kernelMonitor(k);
    expect(monitor.state).toBe("absent");
    monitor.pause();
    expect(k.state(0)).toBe("off");
  });

  it("reports not permitted when the state files cannot be read (they are root's alone)", () => {
    const k = fakeAdmin(["on"]);
    const denied = Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
    const monitor = kernelMonitor({
      ...k,
      io: {
        read: () => {
          throw denied;
        },
      },
    });
    expect(monitor.state).toBe("not permitted");
    monitor.pause();
    expect(k.state(0)).toBe("on");
  });

  it("restarts the others when one refuses, says what to run, and never throws", () => {
    const k = fakeAdmin(["on", "on"]);
    const warnings: string[] = [];
    const monitor = kernelMonitor({
      ...k,
      io: {
        write: (file, value) => {
          if (file === k.file(0) && value === "on") throw Object.assign(new Error("busy"), { code: "EBUSY" });
          writeFileSync(file, value);
        },
        warn: (m) => warnings.push(m),
      },
    });
    monitor.pause();
    expect(() => monitor.resume()).not.toThrow();
    expect([k.state(0), k.state(1)]).toEqual(["off", "on"]);
    expect(warnings).toEqual([`could not restart DAMON (EBUSY): run  echo on > ${k.file(0)}`]);
    // The next run, able to write again, finishes the job.
    expect(kernelMonitor(k).state).toBe("pausable");
    expect(k.state(0)).toBe("on");
  });

  it("undoes a pause that failed half way, and a run killed before it resumed", () => {
    const k = fakeAdmin(["on", "on"]);
    const failing = kernelMonitor({
      ...k,
      io: {
        write: (file, value) => {
          if (file === k.file(1) && value === "off") throw new Error("EINVAL");
          writeFileSync(file, value);
        },
      },
    });
    expect(() => failing.pause()).toThrow("EINVAL");
    expect([k.state(0), k.state(1)]).toEqual(["on", "on"]);

    kernelMonitor(k).pause(); // and then the process is killed: no resume
    expect([k.state(0), k.state(1)]).toEqual(["off", "off"]);
    const next = kernelMonitor(k);
    expect([k.state(0), k.state(1)]).toEqual(["on", "on"]);
    expect(next.state).toBe("pausable");
  });
});
