import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_STATUS } from "../errors.ts";
import { type OpenApiDocument, undocumentedRoutes } from "../openapi.ts";
import { createHarness, type Harness } from "../testing/harness.ts";

describe("ingest /openapi.json", () => {
  let h: Harness;
  let doc: OpenApiDocument;
  beforeAll(async () => {
    h = await createHarness({ driver: "postgres", label: "openapi" });
    const res = await h.app.request("/openapi.json");
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApiDocument;
  });
  afterAll(() => h.close());

  it("is public and a valid OpenAPI 3.1 document whose every $ref resolves", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it("describes every route the app registers, with its method", () => {
    const registered = h.app.routes.filter((r) => r.method !== "ALL").map((r) => `${r.method} ${r.path}`);
    expect(registered).toEqual(
      expect.arrayContaining([
        "GET /healthz",
        "GET /readyz",
        "GET /openapi.json",
        "POST /webhooks/:source",
        "POST /v1/events",
      ]),
    );
    expect(undocumentedRoutes(h.app.routes, doc)).toEqual([]);
    // A route added without its description is caught, as is a wrong method.
    expect(
      undocumentedRoutes(
        [
          { method: "POST", path: "/v2/events/:id" },
          { method: "GET", path: "/v1/events" },
        ],
        doc,
      ),
    ).toEqual(["POST /v2/events/{id}", "GET /v1/events"]);
  });

  it("names each route's own security scheme, and the error shape with every code", () => {
    const security = (path: string) => (doc.paths[path]?.post as { security: unknown } | undefined)?.security;
    expect(security("/webhooks/stripe")).toEqual([{ stripeSignature: [] }]);
    expect(security("/webhooks/hubspot")).toEqual([{ hubspotSignatureV3: [] }]);
    expect(security("/webhooks/zendesk")).toEqual([{ zendeskSignature: [] }]);
    expect(security("/webhooks/{source}")).toEqual([{ standardWebhooks: [] }]);
    expect(security("/v1/events")).toEqual([{ appApiKey: [] }]);
    expect(doc.components.securitySchemes.stripeSignature).toMatchObject({ in: "header", name: "Stripe-Signature" });
    expect(doc.components.schemas.IngestErrorCode).toEqual({ type: "string", enum: Object.keys(ERROR_STATUS) });
    expect(JSON.stringify(doc)).not.toContain(h.config.STRIPE_WEBHOOK_SECRET[0]);
  });

  it("describes the app event request from the zod schema that parses it", () => {
    const appEvent = doc.components.schemas.AppEvent as { oneOf: { properties: { type: { const: string } } }[] };
    expect(appEvent.oneOf.map((o) => o.properties.type.const)).toEqual([
      "user.signed_up",
      "user.logged_in",
      "support.requested",
      "automation.failed",
    ]);
  });
});
