import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { defineErrors, errorResponse, HttpError } from "./errors.ts";
import { requestIds } from "./request-id.ts";

const { table, Error: ShopError } = defineErrors("ShopError", {
  invalid_request: 400,
  sold_out: 409,
  busy: 503,
});

function app(throwing: () => never) {
  const a = new Hono();
  a.use(requestIds());
  a.get("/", () => throwing());
  a.onError((err, c) =>
    err instanceof ShopError ? errorResponse(c, err, { "cache-control": "no-store" }) : c.text("other", 500),
  );
  return a;
}

describe("defineErrors and errorResponse", () => {
  it("answers the one error shape, with the status the table gives the code and the request id", async () => {
    const res = await app(() => {
      throw new ShopError("sold_out", "nothing left", { "retry-after": "60" });
    }).request("/", { headers: { "x-request-id": "req-shop-1" } });
    expect(res.status).toBe(409);
    expect(await res.text()).toBe('{"error":{"code":"sold_out","message":"nothing left","requestId":"req-shop-1"}}');
    expect(res.headers.get("retry-after")).toBe("60");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-request-id")).toBe("req-shop-1");
  });

  it("keeps the table as declared and types the error by it", () => {
    expect(table).toEqual({ invalid_request: 400, sold_out: 409, busy: 503 });
    const err = new ShopError("busy", "try later");
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: "ShopError", code: "busy", status: 503, message: "try later", headers: {} });
    // @ts-expect-error a code outside the table does not compile
    new ShopError("teapot", "no");
    const thrown: unknown = err;
    // Narrowed by instanceof, the code still indexes the table (a handler picking the status does).
    if (thrown instanceof ShopError) expect(table[thrown.code]).toBe(503);
    else expect.unreachable();
  });

  it("tells one table's errors from another's", async () => {
    const { Error: OtherError } = defineErrors("OtherError", { sold_out: 410 });
    const res = await app(() => {
      throw new OtherError("sold_out", "gone");
    }).request("/");
    expect(res.status).toBe(500);
    expect(new OtherError("sold_out", "gone")).not.toBeInstanceOf(ShopError);
  });

  it("says unknown when no request id was set, and replaces a caller's id longer than 64 characters", async () => {
    const bare = new Hono();
    bare.get("/", (c) => errorResponse(c, new ShopError("invalid_request", "bad")));
    expect(await (await bare.request("/")).json()).toEqual({
      error: { code: "invalid_request", message: "bad", requestId: "unknown" },
    });
    const long = "a".repeat(65);
    const res = await app(() => {
      throw new ShopError("busy", "later");
    }).request("/", { headers: { "x-request-id": long } });
    const { error } = (await res.json()) as { error: { requestId: string } };
    expect(error.requestId).not.toBe(long);
    expect(error.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("x-request-id")).toBe(error.requestId);
  });
});
