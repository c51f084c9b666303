import fs, {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TEST_POSTGRES_URL } from "@switchyard/testkit";
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { detectNoise } from "./noise.ts";
import { renderNoise } from "./report.ts";
import { openRun } from "./setup.ts";

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) {
    makeWritable(root);
    rmSync(root, { recursive: true, force: true });
  }
});

/** A /sys and /proc as the kernel lays them out: DAMON on, cpufreq at powersave, a loaded machine. */
function fakeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), "bench-root-"));
  roots.push(root);
  const put = (rel: string, text: string) => {
    mkdirSync(join(root, rel, ".."), { recursive: true });
    writeFileSync(join(root, rel), text);
  };
  const damon = "sys/kernel/mm/damon/admin/kdamonds";
  put(`${damon}/nr_kdamonds`, "2\n");
  put(`${damon}/0/state`, "on\n");
  put(`${damon}/1/state`, "off\n");
  for (const cpu of [0, 1]) put(`sys/devices/system/cpu/cpu${cpu}/cpufreq/scaling_governor`, "powersave\n");
  put("proc/loadavg", "3.50 2.10 1.05 5/312 4242\n");
  put(
    "proc/stat",
    "cpu  23165 0 11277 339670 383 0 185 132 0 0\ncpu0 11086 0 5304 170799 46 0 47 64 0 0\ncpu1 12078 0 5972 168871 337 0 138 68 0 0\n",
  );
  put("proc/4242/stat", "4242 (kdamond.0) S 2 0 0 0 -1 2129984 0 0 0 0 0 3170 0 0 20 0 1 0 300 0 0\n");
  readOnly(root);
  return root;
}

function walk(dir: string, visit: (path: string, isDir: boolean) => void) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    visit(path, entry.isDirectory());
    if (entry.isDirectory()) walk(path, visit);
  }
}

function readOnly(root: string) {
  walk(root, (path, isDir) => chmodSync(path, isDir ? 0o555 : 0o444));
  chmodSync(root, 0o555);
}

function makeWritable(root: string) {
  chmodSync(root, 0o755);
  walk(root, (path, isDir) => chmodSync(path, isDir ? 0o755 : 0o644));
}

/** Every file's and folder's content (or listing), mode and mtime: root ignores chmod, so this is the check. */
function snapshot(root: string): Record<string, string> {
  const seen: Record<string, string> = {};
  const record = (path: string, isDir: boolean) => {
    const st = statSync(path);
    const content = isDir ? readdirSync(path).sort().join("/") : readFileSync(path, "utf8");
    seen[path] = JSON.stringify([content, st.mode, st.mtimeMs, st.ctimeMs]);
  };
  record(root, true);
  walk(root, record);
  return seen;
}

const SYNC_WRITES = [
  "appendFileSync",
  "chmodSync",
  "chownSync",
  "copyFileSync",
  "cpSync",
  "createWriteStream",
  "ftruncateSync",
  "linkSync",
  "lutimesSync",
  "mkdirSync",
  "mkdtempSync",
  "renameSync",
  "rmSync",
  "rmdirSync",
  "symlinkSync",
  "truncateSync",
  "unlinkSync",
  "utimesSync",
  "writeFileSync",
  "writeSync",
  "writevSync",
] as const;
const CALLBACK_WRITES = SYNC_WRITES.filter((f) => f !== "createWriteStream").map((f) => f.replace(/Sync$/, ""));
const PROMISE_WRITES = [
  "appendFile",
  "chmod",
  "chown",
  "copyFile",
  "cp",
  "link",
  "lutimes",
  "mkdir",
  "mkdtemp",
  "rename",
  "rm",
  "rmdir",
  "symlink",
  "truncate",
  "unlink",
  "utimes",
  "writeFile",
] as const;
/** An open for reading only: no flags, or "r"/"rs", or O_RDONLY without O_CREAT/O_TRUNC/O_APPEND. */
const readsOnly = (flags: unknown) =>
  flags === undefined ||
  flags === "r" ||
  flags === "rs" ||
  (typeof flags === "number" &&
    (flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_TRUNC)) === 0);

/**
 * Runs `fn` with every node:fs function that writes (and every open for writing) refusing and
 * recording its call, named imports included (syncBuiltinESMExports), and returns the calls made.
 * Refusing, not passing through: one of these runs reads the real /sys, and a bug must not turn
 * the host's memory monitor off on its way to failing the test.
 */
async function writesDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const calls: string[] = [];
  const target = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
  const promises = fs.promises as unknown as Record<string, (...args: unknown[]) => unknown>;
  const saved: [Record<string, (...args: unknown[]) => unknown>, string, (...args: unknown[]) => unknown][] = [];
  const wrap = (on: typeof target, name: string, writes: (args: unknown[]) => boolean, label: string) => {
    const original = on[name];
    if (typeof original !== "function") return;
    saved.push([on, name, original]);
    on[name] = function (this: unknown, ...args: unknown[]) {
      if (!writes(args)) return original.apply(this, args);
      calls.push(`${label}(${String(args[0])})`);
      throw Object.assign(new Error(`${label} refused: the bench must not write`), { code: "EPERM" });
    };
  };
  for (const name of [...SYNC_WRITES, ...CALLBACK_WRITES]) wrap(target, name, () => true, `fs.${name}`);
  for (const name of ["open", "openSync"]) wrap(target, name, (a) => !readsOnly(a[1]), `fs.${name}`);
  for (const name of PROMISE_WRITES) wrap(promises, name, () => true, `fs.promises.${name}`);
  wrap(promises, "open", (a) => !readsOnly(a[1]), "fs.promises.open");
  syncBuiltinESMExports();
  try {
    await fn();
  } finally {
    for (const [on, name, original] of saved) on[name] = original;
    syncBuiltinESMExports();
  }
  return calls;
}

describe("the write spy", () => {
  it("refuses and records a write made through a named import of node:fs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-spy-"));
    roots.push(dir);
    let refused: unknown;
    const calls = await writesDuring(async () => {
      try {
        writeFileSync(join(dir, "x"), "x");
      } catch (err) {
        refused = err;
      }
    });
    expect(calls).toEqual([`fs.writeFileSync(${join(dir, "x")})`]);
    expect(refused).toMatchObject({ code: "EPERM" });
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("detectNoise", () => {
  it("reads a read-only tree, writes nothing, and names DAMON, the governor and the load", async () => {
    const root = fakeRoot();
    const before = snapshot(root);
    let report: Awaited<ReturnType<typeof detectNoise>> | undefined;
    const calls = await writesDuring(async () => {
      report = await detectNoise({ root, sampleMs: 20 });
    });
    expect(calls).toEqual([]);
    expect(snapshot(root)).toEqual(before);

    expect(report?.damon).toEqual({
      kind: "read",
      kdamonds: [
        { id: "0", state: "on" },
        { id: "1", state: "off" },
      ],
    });
    expect(report?.governors).toEqual([{ governor: "powersave", cpus: [0, 1] }]);
    expect(report?.load).toEqual({ one: 3.5, five: 2.1, fifteen: 1.05, runnable: 5, threads: 312 });
    expect(report?.cores).toBe(2);
    const section = renderNoise(report as NonNullable<typeof report>);
    expect(section).toMatch(/^## Noise seen/);
    expect(section).toMatch(/DAMON \(the kernel's memory monitor\) running: kdamond 0 on/);
    expect(section).not.toMatch(/kdamond 1/);
    expect(section).toMatch(/governor powersave on cpu 0, 1/);
    expect(section).toMatch(/Other load: load average 3.5, 2.1, 1.05 \(1, 5, 15 min\) on 2 cores/);
  });

  it("reports a machine without DAMON or cpufreq, and an idle one, as clear", async () => {
    const root = mkdtempSync(join(tmpdir(), "bench-root-"));
    roots.push(root);
    mkdirSync(join(root, "proc"));
    writeFileSync(join(root, "proc/loadavg"), "0.02 0.05 0.01 1/200 99\n");
    readOnly(root);
    const report = await detectNoise({ root, sampleMs: 5 });
    expect(report.damon).toEqual({ kind: "absent" });
    expect(report.seen).toEqual([]);
    expect(report.clear).toEqual([
      "no DAMON interface",
      "no cpufreq governor exposed",
      expect.stringMatching(/^load average 0.02, 0.05, 0.01/),
    ]);
    expect(renderNoise(report)).toMatch(/- none of the sources the bench knows of/);
  });

  it("reads this machine's own /sys and /proc without writing", async () => {
    let cores = 0;
    const calls = await writesDuring(async () => {
      cores = (await detectNoise({ sampleMs: 50 })).cores;
    });
    expect(calls).toEqual([]);
    expect(cores).toBeGreaterThan(0);
  });
});

describe("the bench's setup and teardown", () => {
  it("writes nothing to the machine, and reports the noise of the root it is given", async () => {
    const root = fakeRoot();
    const before = snapshot(root);
    let databaseUrl = "";
    let seen: string[] = [];
    const calls = await writesDuring(async () => {
      const run = await openRun({ root, sampleMs: 20, workerConcurrency: 4 });
      databaseUrl = run.databaseUrl;
      seen = run.noise.seen;
      expect(run.env.WORKER_CONCURRENCY).toBe("4");
      // The migration ran: the table the end-to-end scenario counts is there.
      expect((await run.sql`select count(*)::int as n from events`)[0]?.n).toBe(0);
      await run.close();
    });
    expect(calls).toEqual([]);
    expect(snapshot(root)).toEqual(before);
    expect(seen.join("\n")).toMatch(/DAMON.*running[\s\S]*powersave[\s\S]*load average 3.5/);

    // The teardown dropped the run's database.
    const admin = postgres(TEST_POSTGRES_URL, { max: 1, onnotice: () => {} });
    try {
      const name = new URL(databaseUrl).pathname.slice(1);
      expect(await admin`select 1 from pg_database where datname = ${name}`).toHaveLength(0);
    } finally {
      await admin.end();
    }
  });
});
