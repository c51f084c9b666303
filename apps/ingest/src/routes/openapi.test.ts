import { jsonSchemaOf, type OpenApiDocument, undocumentedRoutes } from "@switchyard/http";
import { assertValidOpenApi31 } from "@switchyard/http/testing";
import { SOURCES } from "@switchyard/sources";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_STATUS } from "../errors.ts";
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
    await assertValidOpenApi31(doc);
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
        "GET /v1/events",
        "GET /v1/events/:id",
        "GET /v1/customers/:userId/status",
      ]),
    );
    expect(undocumentedRoutes(h.app.routes, doc)).toEqual([]);
    // A route added without its description is caught, as is a wrong method.
    expect(
      undocumentedRoutes(
        [
          { method: "POST", path: "/v2/events/:id" },
          { method: "DELETE", path: "/v1/events" },
        ],
        doc,
      ),
    ).toEqual(["POST /v2/events/{id}", "DELETE /v1/events"]);
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

  it("describes each webhook source exactly as its descriptor verifies it", () => {
    for (const s of SOURCES) {
      const op = doc.paths[`/webhooks/${s.name}`]?.post as {
        security: unknown;
        parameters: { name: string; required: boolean }[];
        requestBody: { content: { "application/json": { schema: unknown } } };
      };
      expect(op, s.name).toBeDefined();
      expect(op.security).toEqual([{ [s.docs.schemeName]: [] }]);
      expect(doc.components.securitySchemes[s.docs.schemeName]).toMatchObject({ in: "header", name: s.docs.header });
      expect(op.parameters.map(({ name, required }) => ({ name, required }))).toEqual(
        s.docs.parameters.map(({ name, required }) => ({ name, required })),
      );
      expect(op.requestBody.content["application/json"].schema).toEqual({
        $ref: `#/components/schemas/${s.docs.body.name}`,
      });
      expect(doc.components.schemas[s.docs.body.name]).toEqual(jsonSchemaOf(s.docs.body.schema));
      expect(JSON.stringify(op)).toContain(s.secretVar);
    }
  });

  it("describes the app event request from the zod schema that parses it", () => {
    const appEvent = doc.components.schemas.AppEvent as {
      oneOf: { properties: { type: { const: string }; data: { properties: Record<string, unknown> } } }[];
    };
    expect(appEvent.oneOf.map((o) => o.properties.type.const)).toEqual([
      "user.signed_up",
      "user.logged_in",
      "support.requested",
      "onboarding.completed",
      "order.created",
      "order.fulfilled",
      "automation.failed",
    ]);
    // What the onboarding KPIs read: the app's category on a support request.
    expect(Object.keys(appEvent.oneOf[2]?.properties.data.properties ?? {})).toContain("category");
  });
});
