import { servedOpenApi } from "@switchyard/admin/testing";
import { type OpenApiDocument, undocumentedRoutes } from "@switchyard/http";
import { ingestOpenApi, newApp } from "@switchyard/ingest";
import { beforeAll, describe, expect, it } from "vitest";

/**
 * Admin's document as this process serves it: admin does not import ingest, so launch.ts hands it
 * ingest's document. Admin's own part alone is held by apps/admin/src/openapi.test.ts.
 */
describe("admin /openapi.json with ingest's routes merged in", () => {
  const fixture = servedOpenApi({ publicApi: ingestOpenApi() });
  let ingest: ReturnType<typeof newApp>;
  let doc: OpenApiDocument;
  beforeAll(() => {
    doc = fixture().doc;
    // Only its routes are read: every one must be described too.
    const { config, db, dispatcher, logger } = fixture().deps;
    ingest = newApp({ config, db, dispatcher, logger, checkReady: async () => {} });
  });

  it("describes every route of the admin and the ingest apps, with its method (the HTML of Bull Board and the console aside)", () => {
    const { apiRoutes } = fixture();
    expect(apiRoutes.map((r) => `${r.method} ${r.path}`)).toEqual(
      expect.arrayContaining(["GET /api/kpis", "POST /api/failures/:id/retry", "GET /openapi.json", "GET /"]),
    );
    expect(undocumentedRoutes(apiRoutes, doc)).toEqual([]);
    expect(undocumentedRoutes(ingest.routes, doc)).toEqual([]);
    // And nothing described that neither app serves.
    const served = new Set(
      [...apiRoutes, ...ingest.routes.filter((r) => r.method !== "ALL")].map(
        (r) => `${r.method.toLowerCase()} ${r.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}")}`,
      ),
    );
    const concrete = new Set(["post /webhooks/stripe", "post /webhooks/hubspot", "post /webhooks/zendesk"]);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of Object.keys(item).filter((k) => ["get", "post", "put", "patch", "delete"].includes(k))) {
        const op = `${method} ${path}`;
        expect(served.has(op) || concrete.has(op), op).toBe(true);
      }
    }
  });

  it("gives admin routes admin auth and ingest routes their own schemes and server", () => {
    expect(doc.security).toEqual([{ adminBearer: [] }, { adminBasic: [] }]);
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(
      [
        "adminBasic",
        "adminBearer",
        "appApiKey",
        "hubspotSignatureV3",
        "standardWebhooks",
        "stripeSignature",
        "zendeskSignature",
      ].sort(),
    );
    const stripe = doc.paths["/webhooks/stripe"] as { servers: { url: string }[]; post: { security: unknown } };
    expect(stripe.post.security).toEqual([{ stripeSignature: [] }]);
    expect(stripe.servers[0]?.url).toBe("http://127.0.0.1:3000");
    expect((doc.paths["/healthz"]?.get as { security: unknown } | undefined)?.security).toEqual([]);
  });

  it("has each app's error shape as a component", () => {
    expect(doc.components.schemas.AdminError).toBeDefined();
    expect(doc.components.schemas.IngestError).toBeDefined();
  });
});
