import type { Server } from "node:http";

/** A port another process holds, named by the variable that chose it, so a launcher can say what to change. */
export class PortInUseError extends Error {
  override readonly name = "PortInUseError";
  readonly port: number;
  readonly variable: string;
  constructor(port: number, variable: string) {
    super(`port ${port} is already in use — set ${variable} to another port`);
    this.port = port;
    this.variable = variable;
  }
}

/** Resolves once `server` listens; a taken port rejects with a PortInUseError naming `variable`. */
export function listening(server: Server, port: number, variable: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? new PortInUseError(port, variable) : err),
    );
  });
}
