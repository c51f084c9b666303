// A TCP relay between one process and Postgres that counts what the process asks of the server:
// statements (each simple Query, each Execute of the extended protocol) and round trips (a simple
// Query, or a Sync, after which the client waits for ReadyForQuery) and commits (a ReadyForQuery
// that finds the session idle after a transaction: an autocommit statement's or a COMMIT's).
// Counted on the wire, so nothing in the measured process has to count for itself.
import { connect, createServer, type Server, type Socket } from "node:net";

export interface WireCounts {
  statements: number;
  roundTrips: number;
  commits: number;
}

export interface PgCounter {
  port: number;
  counts(): WireCounts;
  close(): Promise<void>;
}

const SSL_REQUEST = 80_877_103;
const GSS_REQUEST = 80_877_104;

/** Reads the client's side of one connection and counts its messages, passing every byte on. */
function counter(totals: WireCounts) {
  let buffered: Buffer = Buffer.alloc(0);
  let started = false;
  return (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    let at = 0;
    for (;;) {
      if (!started) {
        // Untyped start-up messages: an SSL or GSS request (refused by a local server) comes first.
        if (buffered.length - at < 8) break;
        const length = buffered.readInt32BE(at);
        if (buffered.length - at < length) break;
        const code = buffered.readInt32BE(at + 4);
        at += length;
        if (code !== SSL_REQUEST && code !== GSS_REQUEST) started = true;
        continue;
      }
      if (buffered.length - at < 5) break;
      const type = String.fromCharCode(buffered[at] ?? 0);
      const length = buffered.readInt32BE(at + 1);
      if (buffered.length - at < length + 1) break;
      if (type === "Q") {
        totals.statements++;
        totals.roundTrips++;
      } else if (type === "E") totals.statements++;
      else if (type === "S") totals.roundTrips++;
      at += length + 1;
    }
    buffered = buffered.subarray(at);
  };
}

/** Reads the server's side: each ReadyForQuery ('Z') with status idle ends a transaction. */
function commitCounter(totals: WireCounts) {
  let buffered: Buffer = Buffer.alloc(0);
  // The one after start-up ends no transaction of the client's.
  let first = true;
  return (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    let at = 0;
    while (buffered.length - at >= 5) {
      const type = String.fromCharCode(buffered[at] ?? 0);
      const length = buffered.readInt32BE(at + 1);
      if (buffered.length - at < length + 1) break;
      if (type === "Z") {
        if (!first && String.fromCharCode(buffered[at + 5] ?? 0) === "I") totals.commits++;
        first = false;
      }
      at += length + 1;
    }
    buffered = buffered.subarray(at);
  };
}

export async function startPgCounter(target: { host: string; port: number }): Promise<PgCounter> {
  const totals: WireCounts = { statements: 0, roundTrips: 0, commits: 0 };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    sockets.add(client).add(upstream);
    const count = counter(totals);
    client.on("data", (chunk: Buffer) => {
      count(chunk);
      upstream.write(chunk);
    });
    const commits = commitCounter(totals);
    upstream.on("data", (chunk: Buffer) => {
      commits(chunk);
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no port");
  return {
    port: address.port,
    counts: () => ({ ...totals }),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
