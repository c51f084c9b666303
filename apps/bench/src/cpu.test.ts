import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cpuSnapshot, cpuSpent } from "./cpu.ts";

const root = mkdtempSync(join(tmpdir(), "bench-cpu-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A /proc/<pid>/stat line with the given name and utime, stime. */
const stat = (pid: number, name: string, utime: number, stime: number) =>
  `${pid} (${name}) S 1 1 1 0 -1 4194560 100 0 0 0 ${utime} ${stime} 0 0 20 0 1 0 100 1000 10\n`;

function fakeProc(procs: [number, string, number, number][], busy: number) {
  rmSync(join(root, "proc"), { recursive: true, force: true });
  for (const [pid, name, utime, stime] of procs) {
    mkdirSync(join(root, "proc", String(pid)), { recursive: true });
    writeFileSync(join(root, "proc", String(pid), "stat"), stat(pid, name, utime, stime));
  }
  writeFileSync(join(root, "proc/stat"), `cpu  ${busy} 0 0 1000 0 0 0 0 0 0\ncpu0 0 0 0 0\ncpu1 0 0 0 0\n`);
}

describe("cpu", () => {
  it("adds up the ingest pids and Postgres and Redis by name, a process that started meanwhile from zero", () => {
    fakeProc(
      [
        [10, "node", 100, 20],
        [11, "node", 50, 5],
        [20, "postgres", 30, 10],
        [30, "redis-server", 7, 3],
        [40, "vitest (fork)", 500, 0],
      ],
      1_000,
    );
    const a = cpuSnapshot([10], root);
    fakeProc(
      [
        [10, "node", 150, 30],
        [11, "node", 90, 5],
        [20, "postgres", 40, 10],
        [21, "postgres", 4, 1],
        [30, "redis-server", 9, 3],
        [40, "vitest (fork)", 900, 0],
      ],
      1_300,
    );
    const b = cpuSnapshot([10], root);
    expect(cpuSpent(a, b, 100)).toEqual({ ingest: 600, postgres: 150, redis: 20, machine: 3_000 });
  });
});
