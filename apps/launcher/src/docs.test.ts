import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigSchema, parseConfig } from "@switchyard/config";
import { deleteKeysWithPrefix, freePort, uniquePrefix } from "@switchyard/testkit";
import { afterAll, describe, expect, it } from "vitest";

// The root README promises a fresh machine two commands. This file holds it to them: the Quick
// start block is read from the README, its start command is run on a fresh clone of HEAD, and its
// test command is the one CI runs.

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The lines under a `## heading`, up to the next heading of that level or higher. */
function section(markdown: string, heading: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  if (start < 0) throw new Error(`README has no "## ${heading}" section`);
  let fenced = false; // a shell comment in a code block is not a heading
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line.startsWith("```")) fenced = !fenced;
    else if (!fenced && /^#{1,2} /.test(line)) return lines.slice(start + 1, i);
  }
  return lines.slice(start + 1);
}

/** The commands of a section's first fenced block: one per line, trailing `# comment` dropped. */
function firstBlockCommands(lines: string[]): string[] {
  const open = lines.findIndex((l) => l.startsWith("```"));
  const close = lines.findIndex((l, i) => i > open && l.startsWith("```"));
  if (open < 0 || close < 0) throw new Error("no fenced block");
  return lines
    .slice(open + 1, close)
    .map((l) => l.replace(/(^|\s+)#.*$/, "").trim())
    .filter((l) => l.length > 0);
}

/** The rows of a section's first table, as trimmed cells (the header and its rule left out). */
function firstTable(lines: string[]): string[][] {
  const rows = lines
    .filter((l) => l.startsWith("|"))
    .map((l) =>
      l
        .slice(1, -1)
        .split("|")
        .map((c) => c.trim()),
    );
  return rows.slice(2);
}

const [startCommand = "", testCommand = ""] = firstBlockCommands(section(README, "Quick start"));

/** The Quick start's second block: variables for the start command, then one curl and its answer. */
function firstEventExample(lines: string[]): { vars: Record<string, string>; curl: string; answer: string } {
  const fences = lines.flatMap((l, i) => (l.startsWith("```") ? [i] : []));
  const [, , open = -1, close = -1] = fences;
  const block = lines.slice(open + 1, close);
  const start = /^((?:[A-Z_]+=\S+ )+)(.+) &$/.exec(block[0] ?? "");
  if (!start?.[1] || start[2] !== startCommand) throw new Error("the example does not start with `VARS ./sy start &`");
  const vars = Object.fromEntries(
    start[1]
      .trim()
      .split(" ")
      .map((a) => a.split("=") as [string, string]),
  );
  const curl = block
    .slice(1)
    .filter((l) => !l.startsWith("#"))
    .join("\n")
    .replace(/\\\n\s*/g, " ");
  const answer =
    block
      .find((l) => l.startsWith("# {"))
      ?.slice(2)
      .split("   ")[0] ?? "";
  return { vars, curl, answer };
}
const example = firstEventExample(section(README, "Quick start"));

describe("README", () => {
  it("is under 250 lines and has no line saying something is not yet there", () => {
    const lines = README.trimEnd().split("\n");
    expect(lines.length).toBeLessThan(250);
    expect(lines.filter((l) => /not yet/i.test(l))).toEqual([]);
  });

  it("gives a fresh machine exactly two commands: start, then test", () => {
    expect(firstBlockCommands(section(README, "Quick start"))).toEqual(["./sy start", "./sy test"]);
  });

  it("names the test command CI runs, and CI runs nothing else of the project's", () => {
    const ci = readFileSync(join(ROOT, ".ci", "run"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.length > 0 && !l.startsWith("#"));
    const invocations = ci.filter((l) => /(^|[\s;&|(])(\.\/sy|pnpm)(\s|$)/.test(l));
    expect(invocations).toEqual([testCommand]);
    // Last, so that its exit status is CI's.
    expect(ci.at(-1)).toBe(testCommand);
  });

  it("documents every configuration variable with its default in docs/CONFIGURATION.md, and the README's essentials agree", () => {
    const reference = readFileSync(join(ROOT, "docs", "CONFIGURATION.md"), "utf8");
    const tableOf = (markdown: string, heading: string) =>
      new Map(
        firstTable(section(markdown, heading)).map(([name = "", fallback = ""]) => [
          name.replaceAll("`", ""),
          fallback,
        ]),
      );
    const documented = tableOf(reference, "Variables");
    const generic = "WEBHOOK_SECRET_<SOURCE>";
    expect([...documented.keys()].sort()).toEqual([...Object.keys(ConfigSchema.shape), generic].sort());

    const defaults = parseConfig({}) as unknown as Record<string, unknown>;
    for (const [name, fallback] of documented) {
      if (name === generic) continue;
      const value = defaults[name];
      const literal = /^`([^`]*)`$/.exec(fallback)?.[1];
      if (literal !== undefined) {
        expect(String(value), `${name}'s default`).toBe(literal);
      } else {
        expect(fallback, `${name}'s default is a literal or "—"`).toMatch(/^—/);
        const unset = value === undefined || (Array.isArray(value) && value.length === 0);
        expect(unset, `${name} has a default (${String(value)}) the docs do not give`).toBe(true);
      }
    }
    const essentials = tableOf(README, "Configuration");
    expect(essentials.size).toBeGreaterThanOrEqual(10);
    for (const [name, fallback] of essentials) expect(documented.get(name), name).toBe(fallback);
  });
});

/** PIDs of the process group's members that are still alive (not zombies). Linux only. */
function liveMembers(pgid: number): number[] {
  const alive: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") alive.push(Number(entry));
  }
  return alive;
}

/** PATH for the clone: this Node and the tools `./sy` installed, nothing from this checkout's node_modules. */
function freshPath(): string {
  const tools = join(ROOT, ".tools", "node_modules");
  const inherited = (process.env.PATH ?? "").split(delimiter).filter((p) => p && !p.includes("node_modules"));
  const extra = existsSync(join(tools, ".bin")) ? [join(tools, ".bin")] : [];
  return [dirname(process.execPath), ...extra, ...inherited].join(delimiter);
}

async function until(check: () => Promise<boolean> | boolean, deadline: number, what: string): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function status(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return undefined;
  }
}

describe("the Quick start on a fresh clone", () => {
  const prefix = uniquePrefix("docs");
  const clone = mkdtempSync(join(tmpdir(), "switchyard-fresh-clone-"));
  let child: ChildProcess | undefined;

  afterAll(async () => {
    if (child?.pid !== undefined && liveMembers(child.pid).length > 0) process.kill(-child.pid, "SIGKILL");
    rmSync(clone, { recursive: true, force: true });
    await deleteKeysWithPrefix(prefix);
  });

  it("`./sy start` installs, comes up on the configured ports, records the README's first event and stops on SIGTERM", async () => {
    const deadline = Date.now() + 85_000;
    // The committed HEAD, as `git clone` gives it: no node_modules, no .tools, no .data.
    execFileSync("git", ["clone", "--quiet", "--local", "--no-hardlinks", ROOT, clone]);
    expect(existsSync(join(clone, "node_modules"))).toBe(false);

    const ingestPort = await freePort();
    let adminPort = await freePort();
    while (adminPort === ingestPort) adminPort = await freePort();
    const pass = (names: string[]) =>
      Object.fromEntries(names.flatMap((n) => (process.env[n] ? [[n, process.env[n] as string]] : [])));
    const env = {
      ...pass(["HOME", "LANG", "TMPDIR", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"]),
      PATH: freshPath(),
      // `./sy` runs its first `pnpm install` from the local store: no registry in a test.
      npm_config_offline: "true",
      INGEST_PORT: String(ingestPort),
      ADMIN_PORT: String(adminPort),
      QUEUE_PREFIX: prefix,
      ...example.vars,
    };
    // A process group of its own, so SIGTERM reaches it the way a terminal's or systemd's does.
    const started = spawn("bash", ["-c", startCommand], { cwd: clone, env, detached: true, stdio: "pipe" });
    child = started;
    let output = "";
    const collect = (d: Buffer) => {
      output += d;
    };
    started.stdout?.on("data", collect);
    started.stderr?.on("data", collect);
    const exited = once(started, "exit");
    const pgid = started.pid as number;

    const up = async (url: string, expected: number, what: string) => {
      try {
        await until(
          async () => {
            if (started.exitCode !== null || started.signalCode !== null) {
              throw new Error(`exited (${started.exitCode ?? started.signalCode}) before it was up`);
            }
            return (await status(url)) === expected;
          },
          deadline,
          what,
        );
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- output of \`${startCommand}\` ---\n${output}`);
      }
    };
    await up(`http://127.0.0.1:${ingestPort}/readyz`, 200, `ingest's /readyz on port ${ingestPort}`);
    // Admin comes up beside it, and answers nothing without credentials.
    await up(`http://127.0.0.1:${adminPort}/console`, 401, `admin on port ${adminPort}`);

    // The README's first event, as written but for the port: accepted, then a duplicate.
    const curl = example.curl.replaceAll("localhost:3000", `localhost:${ingestPort}`);
    const send = () => JSON.parse(execFileSync("bash", ["-c", curl], { encoding: "utf8" })) as Record<string, unknown>;
    const expected = JSON.parse(example.answer.replace('"…"', '"x"')) as Record<string, unknown>;
    const first = send();
    expect({ ...first, eventId: "x" }).toEqual(expected);
    expect(send()).toEqual({ status: "duplicate", eventId: first.eventId });

    process.kill(-pgid, "SIGTERM");
    await exited;
    await until(() => liveMembers(pgid).length === 0, Math.min(deadline, Date.now() + 15_000), "every process to exit");
    expect(output).toContain('"msg":"shutting down"');
    expect(await status(`http://127.0.0.1:${ingestPort}/readyz`)).toBeUndefined();
  }, 90_000);
});
