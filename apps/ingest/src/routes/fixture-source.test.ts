import { ConfigError, createLogger, parseConfig, secretValues } from "@switchyard/config";
import { type OpenApiDocument, undocumentedRoutes } from "@switchyard/http";
import { SOURCES } from "@switchyard/sources";
import { orbit } from "@switchyard/sources/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "../testing/harness.ts";

/**
 * docs/EXTENDING.md "Add a webhook source", followed by a test-only provider: the Orbit
 * descriptor is the only code it has, and every derived part of ingest serves it.
 */
const ORBIT_SECRET = "orbit-signing-secret-0123456789";
const registry = [...SOURCES, orbit];

describe("a source added by its descriptor alone", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({
      driver: "postgres",
      label: "fixture_source",
      env: { ORBIT_SIGNING_SECRET: ORBIT_SECRET },
      sources: registry,
    });
  });
  afterAll(() => h.close());

  const post = (body: string, headers: Record<string, string>) =>
    h.app.request("/webhooks/orbit", { method: "POST", body, headers });

  it("records a signed event once, and refuses a bad signature with nothing written", async () => {
    const body = JSON.stringify({ id: "orb_1", kind: "parcel.shipped", data: { parcel: "p_1" } });
    const headers = orbit.sign({ body, secret: ORBIT_SECRET, url: "http://localhost/webhooks/orbit" });
    const first = await post(body, headers);
    expect(first.status).toBe(202);
    expect((await post(body, headers)).status).toBe(200);
    const forged = await post(body.replace("p_1", "p_2"), headers);
    expect(forged.status).toBe(401);
    const rows = await h.eventRows("orb_1");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ source: "orbit", type: "orbit.parcel.shipped", duplicates: 1 });
  });

  it("is off (404) where its secret is not set, and its name is reserved from Standard Webhooks", () => {
    expect(() =>
      parseConfig({ WEBHOOK_SECRET_ORBIT: `whsec_${Buffer.alloc(24, 1).toString("base64")}` }, registry),
    ).toThrow(ConfigError);
    expect(orbit.secrets({ NODE_ENV: "test", ORBIT_SIGNING_SECRET: [] })).toEqual([]);
  });

  it("has its secret redacted from logs", () => {
    const lines: string[] = [];
    const logger = createLogger({ name: "t", secrets: secretValues(h.config, registry), write: (l) => lines.push(l) });
    logger.error(`verify failed for ${ORBIT_SECRET}`);
    expect(lines.join("")).not.toContain(ORBIT_SECRET);
  });

  it("is described in the OpenAPI document from its descriptor, and the drift check covers it", async () => {
    const doc = (await (await h.app.request("/openapi.json")).json()) as OpenApiDocument;
    const op = doc.paths["/webhooks/orbit"]?.post as { security: unknown; parameters: { name: string }[] };
    expect(op.security).toEqual([{ orbitSignature: [] }]);
    expect(op.parameters.map((p) => p.name)).toEqual(["X-Orbit-Timestamp"]);
    expect(doc.components.securitySchemes.orbitSignature).toMatchObject({ in: "header", name: "X-Orbit-Signature" });
    expect(doc.components.schemas.OrbitEvent).toBeDefined();
    expect(undocumentedRoutes([{ method: "POST", path: "/webhooks/orbit" }], doc)).toEqual([]);
    expect(JSON.stringify(doc)).not.toContain(ORBIT_SECRET);
  });
});
