import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import type { ComposeService } from "./compose.ts";
import type { StageImage } from "./image.ts";

/**
 * A compose service's process started from a built stage's tree, as its container would run
 * it: the service's command (or the image's CMD) in WORKDIR, with only the container's
 * environment. `node` is this machine's Node, the same major as the image's.
 */
export interface Container {
  name: string;
  child: ChildProcess;
  env: Record<string, string>;
  output(): string;
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /**
   * Runs a healthcheck inside this "container"; its exit code. By default the one Docker runs:
   * the service's `healthcheck.test` when compose gives one, else the image's HEALTHCHECK.
   */
  healthcheck(from?: "compose" | "image"): Promise<number | null>;
  /** SIGTERM, then the exit code; SIGKILL (said in the output) after `graceMs` without an exit. */
  stop(graceMs?: number): Promise<number | null>;
}

const argv = (command: readonly string[]) => {
  const [bin, ...args] = command;
  return { bin: bin === "node" ? process.execPath : (bin ?? ""), args };
};

/** Docker's durations as a HEALTHCHECK or compose writes them: `3s`, `500ms`, `1m30s`. */
export function durationMs(text: string): number {
  const units: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) throw new Error(`cannot read duration ${text}`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * (units[unit ?? ""] ?? 0), 0);
}

/** A compose `healthcheck.test` in Docker's form: `["CMD", ...]`, `["CMD-SHELL", cmd]` or `["NONE"]`. */
export function composeTest(service: ComposeService): string[] | undefined {
  if (service.healthcheck?.disable === true) return ["NONE"];
  const test = service.healthcheck?.test;
  if (test === undefined) return undefined;
  const form = typeof test === "string" ? ["CMD-SHELL", test] : Array.isArray(test) ? test.map(String) : [];
  if (!["CMD", "CMD-SHELL", "NONE"].includes(form[0] ?? ""))
    throw new Error(`${service.name}: healthcheck.test must start with CMD, CMD-SHELL or NONE`);
  // Compose interpolates the test against .env; not modelled here, so refused.
  if (form.some((a) => a.includes("$"))) throw new Error(`${service.name}: a $ in healthcheck.test is not supported`);
  return form;
}

export function startContainer(service: ComposeService, stage: StageImage, env: Record<string, string>): Container {
  const command = service.command ?? stage.cmd;
  if (!command?.length) throw new Error(`${service.name}: no command and no CMD`);
  const cwd = join(stage.root, stage.workdir);
  const { bin, args } = argv(command);
  const child = spawn(bin, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d) => {
    out += d;
  });
  child.stderr?.on("data", (d) => {
    out += d;
  });
  return {
    name: service.name,
    child,
    env,
    output: () => out,
    async waitFor(text, timeoutMs = 20_000) {
      const start = Date.now();
      while (!out.includes(text)) {
        if (child.exitCode !== null)
          throw new Error(`${service.name} exited (${child.exitCode}) before "${text}":\n${out}`);
        if (Date.now() - start > timeoutMs)
          throw new Error(`${service.name}: timed out waiting for "${text}":\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async healthcheck(from = service.healthcheck ? "compose" : "image") {
      // A compose healthcheck without a test keeps the image's, as Docker does.
      const test = (from === "compose" && composeTest(service)) || stage.healthcheck?.test;
      if (!test || test[0] === "NONE") throw new Error(`${service.name}: no ${from} healthcheck`);
      const cmd = test[0] === "CMD" ? test.slice(1) : ["/bin/sh", "-c", test[1] ?? ""];
      const { bin: hb, args: ha } = argv(cmd);
      // Killed at the check's --timeout (compose's `timeout`), as Docker kills it: then it failed.
      const raw =
        from === "compose" && service.healthcheck?.timeout !== undefined
          ? String(service.healthcheck.timeout)
          : stage.healthcheck?.options.timeout;
      const check = spawn(hb, ha, { cwd, env, stdio: "ignore", timeout: durationMs(raw ?? "30s") });
      const [code, signal] = (await once(check, "exit")) as [number | null, NodeJS.Signals | null];
      return signal ? 1 : code;
    },
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      // One that does not exit is killed, as Docker does after the grace period, and says so in
      // its output: the caller's exit-code check then names it, rather than the test timing out.
      const timer = setTimeout(() => {
        out += `\n[test] no exit within ${graceMs} ms of SIGTERM: SIGKILL\n`;
        child.kill("SIGKILL");
      }, graceMs);
      const [code] = await exited;
      clearTimeout(timer);
      return code as number | null;
    },
  };
}
