import { spawn } from "node:child_process";
import { constants } from "node:os";
import { fileURLToPath } from "node:url";

/** Where ./sy runs everything from, wherever this file was started from. */
export const REPO_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));

/**
 * Runs a program on this terminal and answers with its exit code, as `exec` did in ./sy. Ctrl-C
 * and a closed terminal already reach the child (they signal the whole process group), so this
 * process only stays alive for them; a SIGTERM sent to it alone (a supervisor) is passed on.
 */
export function runChild(command: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "inherit", cwd: REPO_ROOT });
    const stay = () => {};
    const forward = () => child.kill("SIGTERM");
    process.on("SIGINT", stay);
    process.on("SIGHUP", stay);
    process.on("SIGTERM", forward);
    const done = (code: number) => {
      process.off("SIGINT", stay);
      process.off("SIGHUP", stay);
      process.off("SIGTERM", forward);
      resolve(code);
    };
    child.once("error", (err: NodeJS.ErrnoException) => {
      process.stderr.write(
        `sy: could not run ${command}: ${err.code === "ENOENT" ? "not found on PATH" : err.message}\n`,
      );
      done(127);
    });
    child.once("exit", (code, signal) => done(code ?? 128 + (signal ? constants.signals[signal] : 0)));
  });
}
