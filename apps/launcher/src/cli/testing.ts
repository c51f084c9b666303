import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The real script, as a user (and CI) runs it. */
export const SY = fileURLToPath(new URL("../../../../sy", import.meta.url));
export const CLI_MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
export const START_MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));
export const DEMO_MAIN = fileURLToPath(new URL("../demo.ts", import.meta.url));

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** How long it ran: a --help that started servers would take seconds, not milliseconds. */
  ms: number;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** `./sy` itself (bash, its prelude, then node) rather than node on the CLI's main.ts. */
  script?: boolean;
  timeoutMs?: number;
}

/**
 * One command line to its end, with only `env` (and PATH, which the script needs for bash's own
 * tools): nothing from the test runner's environment decides what the CLI sees.
 */
export function sy(args: readonly string[], opts: RunOptions = {}): Promise<Ran> {
  const started = Date.now();
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", ...opts.env };
  const child = opts.script
    ? spawn(SY, args, { env, stdio: ["ignore", "pipe", "pipe"] })
    : spawn(process.execPath, [CLI_MAIN, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  return collect(child, started, opts.timeoutMs);
}

/** An entry point (main.ts, demo.ts) run directly, as `pnpm start` and `pnpm demo` do. */
export function entry(script: string, args: readonly string[], env: Record<string, string> = {}): Promise<Ran> {
  const child = spawn(process.execPath, [script, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  return collect(child, Date.now());
}

function collect(child: ReturnType<typeof spawn>, started: number, timeoutMs = 60_000): Promise<Ran> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  return new Promise((resolve) => {
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
}
