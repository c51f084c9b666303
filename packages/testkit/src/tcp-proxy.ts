import { once } from "node:events";
import { createServer, Socket } from "node:net";
import { freePort } from "./redis.ts";

type Target = { host: string; port: number };
interface Pair {
  client: Socket;
  upstream: Socket;
}

/**
 * A loopback listener that connects each client to `targetOf()` and tracks the pair in `open`
 * until either side closes (which closes both). `wire` says how bytes cross: piped, or held.
 */
async function forwarder(targetOf: () => Target, wire: (pair: Pair) => void) {
  const open = new Set<Pair>();
  const server = createServer((client) => {
    const target = targetOf();
    const upstream = new Socket();
    upstream.connect(target.port, target.host);
    const pair = { client, upstream };
    open.add(pair);
    wire(pair);
    const drop = () => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
  });
  const port = await freePort();
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return {
    port,
    open,
    async close() {
      for (const pair of open) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const piped = ({ client, upstream }: Pair) => {
  client.pipe(upstream);
  upstream.pipe(client);
};

/**
 * A TCP forwarder on loopback standing in for a DNS name or a virtual IP in front of a server.
 * `failover()` leaves every connection open through it half-open (nothing more is forwarded
 * either way and nothing is closed, as when the old primary's host vanishes), while connections
 * made after it reach the target again: the primary that replaced it, at the same address.
 */
export interface HalfOpenProxy {
  port: number;
  failover(): void;
  close(): Promise<void>;
}

export async function startHalfOpenProxy(target: Target): Promise<HalfOpenProxy> {
  const stranded: Socket[] = [];
  const proxy = await forwarder(() => target, piped);
  return {
    port: proxy.port,
    failover() {
      for (const pair of proxy.open) {
        pair.client.unpipe(pair.upstream);
        pair.upstream.unpipe(pair.client);
        pair.client.pause();
        pair.client.removeAllListeners();
        pair.client.on("error", () => {});
        // The old server's side goes (its sessions end); the client's stays, unanswered.
        pair.upstream.removeAllListeners();
        pair.upstream.on("error", () => {});
        pair.upstream.destroy();
        stranded.push(pair.client);
      }
      proxy.open.clear();
    },
    async close() {
      for (const s of stranded) s.destroy();
      await proxy.close();
    },
  };
}

/** A TCP forwarder that holds every chunk `delayMs` each way: a slow link to `target`. */
export interface SlowProxy {
  port: number;
  close(): Promise<void>;
}

export async function startSlowProxy(target: Target, delayMs: number): Promise<SlowProxy> {
  const later = (to: Socket) => (chunk: Buffer) =>
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk);
    }, delayMs);
  const proxy = await forwarder(
    () => target,
    ({ client, upstream }) => {
      client.on("data", later(upstream));
      upstream.on("data", later(client));
    },
  );
  return { port: proxy.port, close: proxy.close };
}

/**
 * A TCP forwarder standing in for a managed Redis's one name (DNS or a virtual IP): `moveTo()`
 * points new connections at another server, as the provider does after promoting a replica;
 * connections already open stay with the old server until it closes them.
 */
export interface MovableProxy {
  port: number;
  moveTo(target: Target): void;
  close(): Promise<void>;
}

export async function startMovableProxy(first: Target): Promise<MovableProxy> {
  let target = first;
  const proxy = await forwarder(() => target, piped);
  return {
    port: proxy.port,
    moveTo(next) {
      target = next;
    },
    close: proxy.close,
  };
}
