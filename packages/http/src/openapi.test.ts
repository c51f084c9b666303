import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { errorResponses, errorSchema, jsonSchemaOf, mountPaths, undocumentedRoutes } from "./openapi.ts";

const TABLE = { invalid_request: 400, invalid_payload: 400, auth_failed: 401, busy: 503 } as const;

describe("OpenAPI helpers", () => {
  it("groups error responses by status, each listing its codes", () => {
    expect(errorResponses(["invalid_request", "auth_failed", "invalid_payload"], TABLE, "ShopError")).toEqual({
      "400": {
        description: "invalid_request | invalid_payload",
        content: { "application/json": { schema: { $ref: "#/components/schemas/ShopError" } } },
      },
      "401": {
        description: "auth_failed",
        content: { "application/json": { schema: { $ref: "#/components/schemas/ShopError" } } },
      },
    });
  });

  it("describes the error shape with every code of the table and its status", () => {
    expect(errorSchema(TABLE)).toMatchObject({
      required: ["error"],
      properties: {
        error: {
          required: ["code", "message", "requestId"],
          properties: {
            code: {
              enum: ["invalid_request", "invalid_payload", "auth_failed", "busy"],
              description: "HTTP status by code: invalid_request 400, invalid_payload 400, auth_failed 401, busy 503.",
            },
          },
        },
      },
    });
  });

  it("turns a zod schema into the JSON Schema a client must send (defaults optional), without the dialect", () => {
    const schema = jsonSchemaOf(z.object({ dryRun: z.boolean().default(true), reason: z.string() }));
    expect(schema).toEqual({
      type: "object",
      properties: { dryRun: { type: "boolean", default: true }, reason: { type: "string" } },
      required: ["reason"],
    });
  });

  it("finds the routes a document does not describe, by path and method, middleware and skipped paths aside", () => {
    const app = new Hono();
    app.use(async (_c, next) => next());
    app.route(
      "/api",
      new Hono()
        .get("/things", (c) => c.json([]))
        .post("/things/:id/retry", (c) => c.json({}))
        .delete("/things/:id", (c) => c.json({})),
    );
    app.get("/ui/page", (c) => c.html(""));
    const doc = {
      paths: mountPaths("/api", {
        "/things": { get: {}, post: {} },
        "/things/{id}/retry": { post: {} },
        "/things/{id}": { get: {} },
      }),
    };
    expect(undocumentedRoutes(app.routes, doc, (p) => p.startsWith("/ui/"))).toEqual(["DELETE /api/things/{id}"]);
    expect(undocumentedRoutes(app.routes, doc)).toEqual(["DELETE /api/things/{id}", "GET /ui/page"]);
    expect(undocumentedRoutes(app.routes, { paths: {} })).toEqual([
      "GET /api/things",
      "POST /api/things/{id}/retry",
      "DELETE /api/things/{id}",
      "GET /ui/page",
    ]);
  });

  it("mounts a route file's paths as Hono joins them, its root on the prefix itself", () => {
    const app = new Hono().route(
      "/v1/events",
      new Hono().post("/", (c) => c.json({})),
    );
    expect(app.routes.map((r) => r.path)).toEqual(["/v1/events"]);
    expect(Object.keys(mountPaths("/v1/events", { "/": {}, "/{id}": {} }))).toEqual(["/v1/events", "/v1/events/{id}"]);
  });
});
