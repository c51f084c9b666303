import { KPI_KEYS } from "@switchyard/domain";
import { type OpenApiDocument, undocumentedRoutes } from "@switchyard/http";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_ERROR_STATUS } from "./errors.ts";
import { adminOpenApi } from "./openapi.ts";
import { servedOpenApi } from "./testing/openapi.ts";

describe("admin /openapi.json", () => {
  const fixture = servedOpenApi();
  let doc: OpenApiDocument;
  beforeAll(() => {
    doc = fixture().doc;
  });

  // With ingest's routes merged in, as the launcher serves it, this is held by apps/launcher/src/openapi.test.ts.
  it("describes every route of the admin app, with its method (the HTML of Bull Board and the console aside)", () => {
    const { apiRoutes } = fixture();
    expect(apiRoutes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(["GET /api/kpis", "POST /api/failures/:id/retry", "GET /openapi.json", "GET /"]),
    );
    expect(undocumentedRoutes(apiRoutes, doc)).toEqual([]);
    // And nothing described that admin does not serve.
    const served = new Set(
      apiRoutes.map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`),
    );
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item).filter((k) => ["get", "post", "put", "patch", "delete"].includes(k))) {
        const op = `${method} ${path}`;
        expect(served.has(op), op).toBe(true);
      }
    }
  });

  it("gives admin routes admin auth", () => {
    expect(doc.security).toEqual([{ adminBearer: [] }, { adminBasic: [] }]);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["adminBasic", "adminBearer"]);
    expect(doc.servers).toEqual([{ url: "/", description: "admin (private port)" }]);
  });

  it("merges a public API handed in: its paths on its own server and schemes, admin's /openapi.json kept", () => {
    const publicApi: OpenApiDocument = {
      openapi: "3.1.0",
      info: { title: "edge", version: "1" },
      paths: {
        "/openapi.json": { get: { security: [], responses: { "200": { description: "edge's own" } } } },
        "/webhooks/{source}": {
          post: { security: [{ edgeSignature: [] }], responses: { "202": { description: "Recorded" } } },
        },
      },
      components: {
        schemas: { EdgeEvent: { type: "object" } },
        securitySchemes: { edgeSignature: { type: "apiKey", in: "header", name: "Edge-Signature" } },
      },
    };
    const merged = adminOpenApi({ INGEST_PUBLIC_URL: "https://hooks.example", INGEST_PORT: 3000 }, publicApi);
    expect(merged.paths["/webhooks/{source}"]).toEqual({
      servers: [{ url: "https://hooks.example", description: "ingest (public port)" }],
      ...publicApi.paths["/webhooks/{source}"],
    });
    expect(merged.paths["/openapi.json"]).toEqual(doc.paths["/openapi.json"]);
    expect(merged.paths["/api/kpis"]).toEqual(doc.paths["/api/kpis"]);
    expect(merged.security).toEqual(doc.security);
    expect(Object.keys(merged.components.securitySchemes).sort()).toEqual([
      "adminBasic",
      "adminBearer",
      "edgeSignature",
    ]);
    expect(merged.components.schemas).toMatchObject({ EdgeEvent: { type: "object" }, Kpi: doc.components.schemas.Kpi });
    const port = adminOpenApi({ INGEST_PUBLIC_URL: undefined, INGEST_PORT: 3000 }, publicApi);
    expect((port.paths["/webhooks/{source}"] as { servers: { url: string }[] }).servers[0]?.url).toBe(
      "http://127.0.0.1:3000",
    );
  });

  it("has the error shape as a component, with each app's codes, and the KPI shape", () => {
    expect(doc.components.schemas.AdminErrorCode).toEqual({ type: "string", enum: Object.keys(ADMIN_ERROR_STATUS) });
    expect(doc.components.schemas.AdminError).toMatchObject({
      required: ["error"],
      properties: {
        error: {
          required: ["code", "message", "requestId"],
          properties: { code: { enum: Object.keys(ADMIN_ERROR_STATUS) } },
        },
      },
    });
    expect(doc.components.schemas.Kpi).toMatchObject({
      required: ["key", "label", "value", "unit", "threshold", "comparator", "ok", "status", "window"].concat([
        "sample",
        "minSample",
        "baseline",
        "note",
      ]),
      properties: { key: { enum: [...KPI_KEYS] } },
    });
    expect(doc.components.schemas.OverrideRequest).toMatchObject({ required: ["status", "reason"] });
  });
});
