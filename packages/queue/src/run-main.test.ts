import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const FIXTURE = fileURLToPath(new URL("./testing/main-fixture.ts", import.meta.url));
const SECRET = "sy_fixture_key_0123456789";

/** The fixture entry point as a real process: runMain exits the process, so it cannot run in this one. */
function fixture(mode: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [FIXTURE, mode, SECRET], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (d) => {
    out.stdout += d;
  });
  child.stderr.on("data", (d) => {
    out.stderr += d;
  });
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return { child, out, exited };
}

async function until(check: () => boolean, child: ChildProcess) {
  for (let i = 0; i < 200 && !check(); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const lines = (text: string) => text.trim().split("\n").filter(Boolean);
const messages = (stdout: string) =>
  lines(stdout).map((l) => (l.startsWith("{") ? (JSON.parse(l) as { msg: string }).msg : l));

// Every part is told first, before anything closes.
const DRAINED = ["drained server", "drained publisher", "drained database"];

/** The health port the fixture logged (HEALTH_PORT=0: the system's pick). */
function healthPort(stdout: string): number | undefined {
  const line = lines(stdout).find((l) => l.includes('"health listening"'));
  return line ? (JSON.parse(line) as { port: number }).port : undefined;
}

async function readyz(port: number): Promise<number | undefined> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`);
    await res.body?.cancel();
    return res.status;
  } catch {
    return undefined;
  }
}

describe("runMain", () => {
  it("on SIGTERM logs once, closes in order and exits 0; a SIGINT on top changes nothing", async () => {
    const p = fixture("ok");
    await until(() => p.out.stdout.includes("fixture started"), p.child);
    p.child.kill("SIGTERM");
    p.child.kill("SIGINT");
    expect(await p.exited).toBe(0);
    expect(messages(p.out.stdout)).toEqual([
      "fixture started",
      ...DRAINED,
      "shutting down",
      "closed server",
      "closed publisher",
      "closed database",
    ]);
    expect(p.out.stderr).toBe("");
  });

  it("a signal during start waits for it, then closes what it opened", async () => {
    const p = fixture("slow-start");
    await until(() => p.out.stdout.includes("fixture starting"), p.child);
    p.child.kill("SIGINT");
    expect(await p.exited).toBe(0);
    expect(messages(p.out.stdout)).toEqual([
      "fixture starting",
      "fixture started",
      ...DRAINED,
      "shutting down",
      "closed server",
      "closed publisher",
      "closed database",
    ]);
  });

  it("a refusal to start is its own line and exit code", async () => {
    const p = fixture("refuse");
    expect(await p.exited).toBe(78);
    expect(p.out.stderr).toBe("switchyard fixture: set FIXTURE_URL to start\n");
  });

  it("any other failed start is one line naming the process, secrets redacted, exit 1", async () => {
    const p = fixture("crash");
    expect(await p.exited).toBe(1);
    expect(lines(p.out.stderr)).toEqual(["switchyard fixture: could not reach the provider with key [redacted]"]);
    expect(p.out.stderr + p.out.stdout).not.toContain(SECRET);
  });

  it("a close that fails is logged and the exit is non-zero", async () => {
    const p = fixture("close-fails");
    await until(() => p.out.stdout.includes("fixture started"), p.child);
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(1);
    expect(messages(p.out.stdout)).toEqual([
      "fixture started",
      ...DRAINED,
      "shutting down",
      "closed server",
      "shutdown failed",
    ]);
  });

  it("serves /readyz on HEALTH_PORT: 503 while starting or a part is unready, 200 started, 503 from SIGTERM on", async () => {
    const p = fixture("ok", { HEALTH_PORT: "0", SHUTDOWN_DELAY_MS: "800" });
    await until(() => p.out.stdout.includes("fixture started"), p.child);
    const port = healthPort(p.out.stdout) as number;
    expect(await readyz(port)).toBe(200);
    const signalled = performance.now();
    p.child.kill("SIGTERM");
    await until(() => p.out.stdout.includes("drained database"), p.child);
    // The delay: still listening, no longer ready, nothing closed yet.
    expect(await readyz(port)).toBe(503);
    expect(p.out.stdout).not.toContain("closed server");
    expect(await p.exited).toBe(0);
    expect(performance.now() - signalled).toBeGreaterThanOrEqual(800);

    const unready = fixture("unready", { HEALTH_PORT: "0" });
    await until(() => unready.out.stdout.includes("fixture started"), unready.child);
    expect(await readyz(healthPort(unready.out.stdout) as number)).toBe(503);
    unready.child.kill("SIGTERM");
    expect(await unready.exited).toBe(0);

    const starting = fixture("stuck-start", { HEALTH_PORT: "0", SHUTDOWN_GRACE_MS: "600" });
    await until(() => starting.out.stdout.includes("fixture starting"), starting.child);
    expect(await readyz(healthPort(starting.out.stdout) as number)).toBe(503);
    starting.child.kill("SIGTERM");
    expect(await starting.exited).toBe(1);
  });

  it("exits 1 at SHUTDOWN_GRACE_MS when a close hangs, or the start never finishes, and says which", async () => {
    const hang = fixture("hang", { SHUTDOWN_GRACE_MS: "700" });
    await until(() => hang.out.stdout.includes("fixture started"), hang.child);
    const signalled = performance.now();
    hang.child.kill("SIGTERM");
    expect(await hang.exited).toBe(1);
    const took = performance.now() - signalled;
    expect(took).toBeGreaterThanOrEqual(700);
    expect(took).toBeLessThan(700 + 1_500);
    expect(messages(hang.out.stdout)).toEqual([
      "fixture started",
      ...DRAINED,
      "shutting down",
      "closed server",
      "shutdown grace expired; exiting with work still open",
    ]);

    const stuck = fixture("stuck-start", { SHUTDOWN_GRACE_MS: "700" });
    await until(() => stuck.out.stdout.includes("fixture starting"), stuck.child);
    stuck.child.kill("SIGTERM");
    expect(await stuck.exited).toBe(1);
    expect(messages(stuck.out.stdout).at(-1)).toMatch(/^shutdown grace expired; exiting before the start finished/);
  });
});
