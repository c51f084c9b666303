import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppEnv } from "./env-types.ts";
import { ApiError } from "./errors.ts";
import { readRawBody } from "./raw-body.ts";

const LIMIT = 1024;

/** Sends `chunks` as a chunked body (no Content-Length) over a real socket. */
function post(port: number, chunks: Buffer[], headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ port, method: "POST", path: "/", headers }, (res) => {
      let body = "";
      res.on("data", (d) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

describe("readRawBody under the Node server", () => {
  let server: ReturnType<typeof serve>;
  let port: number;
  const seen: string[] = [];
  beforeAll(async () => {
    const app = new Hono<AppEnv>().post("/", async (c) => {
      const body = await readRawBody(c.req.raw, c.env?.incoming, LIMIT);
      seen.push(body);
      return c.text(`${Buffer.byteLength(body)}`);
    });
    app.onError((err, c) => c.text(err.message, err instanceof ApiError ? 413 : 500));
    server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise((r) => server.once("listening", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it("reads the exact bytes, even with a UTF-8 character split across chunks", async () => {
    const text = `{"name":"Zoë ✓ 𝄞"}`;
    const bytes = Buffer.from(text);
    const split = bytes.indexOf(Buffer.from("𝄞")) + 2;
    const res = await post(port, [bytes.subarray(0, split), bytes.subarray(split)]);
    expect(res).toEqual({ status: 200, body: String(bytes.length) });
    expect(seen.at(-1)).toBe(text);
  });

  it("refuses a chunked body that grows past the limit, and keeps serving", async () => {
    const res = await post(port, [Buffer.alloc(600, "a"), Buffer.alloc(600, "b"), Buffer.alloc(600, "c")]);
    expect(res.status).toBe(413);
    expect(res.body).toContain(`exceeds ${LIMIT} bytes`);
    expect((await post(port, [Buffer.from("ok")])).body).toBe("2");
  });

  it("refuses a declared Content-Length over the limit before reading", async () => {
    const body = Buffer.alloc(LIMIT + 1, "x");
    const res = await post(port, [body], { "content-length": String(body.length) });
    expect(res.status).toBe(413);
  });

  it("reads an empty body as an empty string", async () => {
    expect(await post(port, [], { "content-length": "0" })).toEqual({ status: 200, body: "0" });
  });
});
