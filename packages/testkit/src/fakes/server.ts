import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What the next requests should suffer instead of (or before) a normal answer. */
export interface Fault {
  /** Answer with this status instead of handling the request. */
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Wait this long first (then answer normally, or with `status`). */
  latencyMs?: number;
  /** Never answer: the client's own timeout is what ends the request. */
  hang?: boolean;
  /** How many requests it applies to; unlimited when absent. */
  times?: number;
  /** Only requests whose "METHOD /path" matches; every request when absent. */
  match?: RegExp;
}

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  at: number;
}

export interface JsonReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Route = (req: Received) => JsonReply | Promise<JsonReply>;

/** A provider fake on a loopback port: routes keyed "METHOD /path", faults, and a request log. */
export class FakeServer {
  readonly received: Received[] = [];
  private faults: Fault[] = [];
  private readonly replies = new Map<string, JsonReply>();
  private server: Server | undefined;
  private readonly hanging = new Set<ServerResponse>();
  url = "";
  private readonly route: (req: Received) => Route | undefined;

  constructor(route: (req: Received) => Route | undefined) {
    this.route = route;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Apply `fault` to the next requests (all of them unless `times` is set). */
  fail(fault: Fault): void {
    this.faults.push({ ...fault });
  }

  heal(): void {
    this.faults = [];
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
  }

  async close(): Promise<void> {
    this.heal();
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /**
   * Applies a write once per Idempotency-Key, as Stripe and Zendesk do: a repeated key gets the
   * first answer back and changes nothing.
   */
  protected idempotent(req: Received, apply: () => JsonReply): JsonReply {
    const key = req.headers["idempotency-key"];
    const replay = key ? this.replies.get(`${req.method} ${req.path} ${key}`) : undefined;
    if (replay) return { ...replay, headers: { ...replay.headers, "idempotent-replayed": "true" } };
    const reply = apply();
    if (key) this.replies.set(`${req.method} ${req.path} ${key}`, reply);
    return reply;
  }

  private nextFault(req: Received): Fault | undefined {
    const fault = this.faults.find((f) => !f.match || f.match.test(`${req.method} ${req.path}`));
    if (!fault) return undefined;
    if (fault.times !== undefined) {
      fault.times -= 1;
      if (fault.times <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    }
    return fault;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the text
    }
    const received: Received = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      body,
      at: Date.now(),
    };
    this.received.push(received);
    const fault = this.nextFault(received);
    if (fault?.hang) {
      this.hanging.add(res);
      res.on("close", () => this.hanging.delete(res));
      return;
    }
    if (fault?.latencyMs) await new Promise((r) => setTimeout(r, fault.latencyMs));
    if (fault?.status)
      return send(res, {
        status: fault.status,
        body: fault.body ?? { message: "injected fault" },
        ...(fault.headers ? { headers: fault.headers } : {}),
      });
    const route = this.route(received);
    if (!route)
      return send(res, { status: 404, body: { message: `no fake route for ${received.method} ${received.path}` } });
    send(res, await route(received));
  }
}

function send(res: ServerResponse, reply: JsonReply): void {
  if (res.destroyed) return;
  res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
  res.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
}
