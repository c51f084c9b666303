import { createServer } from "node:net";
import type { Config } from "@switchyard/config";

/** The same words the listen sites' PortInUseError (@switchyard/http) carries. */
const inUse = (port: number, variable: string) => `port ${port} is already in use — set ${variable} to another port`;

/** Binds a port where its server would, and lets it go: true when another process holds it. */
function taken(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "EADDRINUSE"));
    probe.listen(port, host, () => probe.close(() => resolve(false)));
  });
}

/**
 * Checked before anything starts: a second `pnpm start` beside a running one must not open the
 * embedded database the first one holds, nor take jobs it then abandons. The listen sites still
 * turn EADDRINUSE (a port taken in between) into a PortInUseError with the same message.
 */
export async function portProblem(config: Config): Promise<string | undefined> {
  const { INGEST_PORT: ingest, ADMIN_PORT: admin } = config;
  if (ingest !== 0 && ingest === admin) {
    return `INGEST_PORT and ADMIN_PORT are both ${ingest} — set one of them to another port`;
  }
  if (ingest !== 0 && (await taken(ingest, "0.0.0.0"))) return inUse(ingest, "INGEST_PORT");
  if (admin !== 0 && (await taken(admin, config.ADMIN_BIND))) return inUse(admin, "ADMIN_PORT");
  return undefined;
}

/** Known by name: the launcher does not depend on @switchyard/http, where the class lives. */
export function isPortInUse(err: unknown): err is Error & { port: number; variable: string } {
  return err instanceof Error && err.name === "PortInUseError";
}

/** For a launch's rejection: a taken port is one line and exit 1; anything else stays a crash. */
export function exitIfPortInUse(err: unknown): never {
  if (isPortInUse(err)) {
    process.stderr.write(`switchyard: ${err.message}\n`);
    process.exit(1);
  }
  throw err;
}
