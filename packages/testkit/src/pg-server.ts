import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { freePort } from "./redis.ts";

/** A private PostgreSQL on a spare port that a test may stop, kill and start again. */
export interface PostgresServer {
  url: string;
  port: number;
  start(): Promise<void>;
  /** Clean shutdown (fast mode: open transactions are rolled back). */
  stop(): Promise<void>;
  /** Immediate shutdown, as a crash would be; recovery runs on the next start. */
  kill(): Promise<void>;
  destroy(): Promise<void>;
}

const BIN = (() => {
  const versions = readdirSync("/usr/lib/postgresql").sort((a, b) => Number(a) - Number(b));
  return `/usr/lib/postgresql/${versions.at(-1)}/bin`;
})();

/** runuser lives in /usr/sbin, which a minimal PATH (CI's, cron's) leaves out. */
const RUNUSER = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].find((p) => existsSync(p)) ?? "runuser";

/**
 * Postgres refuses to run as root: every server command runs as the postgres user. Run without
 * blocking, so a test's own clients keep running (and timing) while the server stops or starts.
 */
function asPostgres(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      RUNUSER,
      ["-u", "postgres", "--", `${BIN}/${cmd}`, ...args],
      { encoding: "utf8" },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${cmd} failed: ${err.message} ${stderr} ${stdout}`)) : resolve(),
    );
  });
}

export async function startPostgresServer(): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), "sy-pg-"));
  chownSync(
    dir,
    Number(execFileSync("id", ["-u", "postgres"]).toString()),
    Number(execFileSync("id", ["-g", "postgres"]).toString()),
  );
  const data = join(dir, "data");
  await asPostgres("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const ctl = (...args: string[]) => asPostgres("pg_ctl", ["-D", data, "-w", "-t", "30", ...args]);
  const server: PostgresServer = {
    url,
    port,
    async start() {
      await ctl(
        "-o",
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
        "-l",
        join(dir, "log"),
        "start",
      );
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await sql`select 1`;
      } finally {
        await sql.end();
      }
    },
    async stop() {
      await ctl("-m", "fast", "stop");
    },
    async kill() {
      await ctl("-m", "immediate", "stop");
    },
    async destroy() {
      try {
        await ctl("-m", "immediate", "stop");
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}
