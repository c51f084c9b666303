import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";

export interface Proc {
  child: ChildProcess;
  output: () => string;
  /** Resolves once `text` appears in stdout or stderr; fails if the process exits first. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /**
   * SIGTERM, then the exit code; a process still alive after `killAfterMs` is SIGKILLed and its
   * last lines written to stderr, so a hung shutdown fails its test instead of the hook's timeout.
   */
  stop(killAfterMs?: number): Promise<number | null>;
}

/** One of Switchyard's entry points as a real child process, on this Node, with only `env`. */
export function run(script: string, env: Record<string, string>, args: string[] = []): Proc {
  const child = spawn(process.execPath, [script, ...args], {
    env: { LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  return {
    child,
    output: () => out,
    async waitFor(text, timeoutMs = 20_000) {
      const start = Date.now();
      while (!out.includes(text)) {
        if (child.exitCode !== null) throw new Error(`process exited (${child.exitCode}) before "${text}":\n${out}`);
        if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for "${text}":\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(killAfterMs = 45_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        process.stderr.write(
          `still running ${killAfterMs} ms after SIGTERM, killed:\n${out.split("\n").slice(-10).join("\n")}\n`,
        );
        child.kill("SIGKILL");
      }, killAfterMs);
      const [code] = await exited;
      clearTimeout(timer);
      return code as number | null;
    },
  };
}
