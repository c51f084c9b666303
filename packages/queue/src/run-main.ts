import { setTimeout as sleep } from "node:timers/promises";
import { type Config, createLogger, type Logger, redact, secretValues } from "@switchyard/config";
import { type HealthServer, startHealthServer } from "./health.ts";

/** What an entry point stops on the way out. */
export interface Closable {
  close(): Promise<unknown>;
  /** SIGTERM's first step, before any close: stop saying ready (ingest's own /readyz). */
  drain?(): void;
  /** Rejects while this part cannot do its work; the health port's /readyz asks every part. */
  ready?(): Promise<void>;
}

/**
 * A reason not to start that the operator can fix (a missing setting, Redis away): its message is
 * the whole line to print, so each entry point keeps its own wording, and `exitCode` is the code
 * (78, EX_CONFIG, for configuration).
 */
export class StartupError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "StartupError";
    this.exitCode = exitCode;
  }
}

export interface MainOptions {
  /** The process's logger name, and how a failed start introduces itself: `switchyard <name>: …`. */
  name: string;
  config: Config;
  /** Serve /healthz and /readyz on HEALTH_PORT, when it is set (workers and admin; ingest has its own). */
  health?: boolean;
}

/** An error as one line: a failed start is read in a terminal or a container's last log line. */
function oneLine(err: unknown): string {
  if (err instanceof AggregateError && !err.message) return err.errors.map(oneLine).join("; ");
  const text = err instanceof Error ? err.message || err.name : String(err);
  return text.replace(/\s*\n\s*/g, " ");
}

/** Every part's readiness at once; a part without a check is ready once started. */
function readinessOf(parts: readonly Closable[]): () => Promise<void> {
  return async () => {
    await Promise.all(parts.map((p) => p.ready?.()));
  };
}

/**
 * The whole of an entry point around `start`, which starts the process and returns what to close
 * on SIGTERM or SIGINT, in that order. A failed start prints one line to stderr (a StartupError's
 * own, or `switchyard <name>: <error>`) and exits non-zero; the stack goes to the debug log.
 *
 * A signal fails readiness first (the health port's /readyz and each part's `drain`), waits
 * SHUTDOWN_DELAY_MS for a balancer to notice, then closes the parts in order, each waiting for its
 * work in flight. Whatever is still open SHUTDOWN_GRACE_MS after the signal is cut: the process
 * logs it and exits 1, so a stop never hangs on an unreachable Redis or Postgres.
 */
export async function runMain(
  opts: MainOptions,
  start: (logger: Logger) => Promise<readonly Closable[]>,
): Promise<void> {
  const { config } = opts;
  const secrets = secretValues(config);
  const logger = createLogger({ name: opts.name, level: config.LOG_LEVEL, secrets });
  let health: HealthServer | undefined;
  let up = false;
  const started = (async () => {
    // Nothing starts before the signal handlers below are in place: a SIGTERM that came before
    // them would kill the process at once, half-started.
    await Promise.resolve();
    if (opts.health && config.HEALTH_PORT !== undefined) {
      health = await startHealthServer({ port: config.HEALTH_PORT, logger: logger.child({ component: "health" }) });
    }
    const parts = await start(logger);
    up = true;
    health?.ready(readinessOf(parts));
    return parts;
  })();
  // Listening before `start` runs: a signal mid-start waits for it (within the grace), then
  // closes what it opened, rather than killing the process half-started. The same signal again
  // kills it (Node's default, the listener being gone).
  let stopping = false;
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, async () => {
      if (stopping) return;
      stopping = true;
      health?.drain();
      setTimeout(() => {
        const what = up ? "with work still open" : "before the start finished (Redis or Postgres away?)";
        logger.error(`shutdown grace expired; exiting ${what}`, { graceMs: config.SHUTDOWN_GRACE_MS });
        process.exit(1);
      }, config.SHUTDOWN_GRACE_MS);
      const closing = await started.catch(() => undefined);
      if (!closing) return; // the failed start exits on its own
      for (const c of closing) c.drain?.();
      logger.info("shutting down", { signal });
      try {
        if (config.SHUTDOWN_DELAY_MS > 0) await sleep(config.SHUTDOWN_DELAY_MS);
        for (const c of closing) await c.close();
        await health?.close();
      } catch (err) {
        logger.error("shutdown failed", { err });
        process.exit(1);
      }
      process.exit(0);
    });
  }
  try {
    await started;
  } catch (err) {
    logger.debug("start failed", { err });
    const line = err instanceof StartupError ? err.message : `switchyard ${opts.name}: ${oneLine(err)}`;
    process.stderr.write(`${redact(line, secrets)}\n`);
    process.exit(err instanceof StartupError ? err.exitCode : 1);
  }
}
