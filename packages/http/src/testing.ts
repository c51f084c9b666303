import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { expect } from "vitest";
import type { OpenApiDocument } from "./openapi.ts";

/**
 * Checks on a served /openapi.json, one copy for every app's test (`@switchyard/http/testing`).
 * Test-only: the validators are devDependencies, and these assert through vitest's `expect`.
 */

/** A valid OpenAPI 3.1 document whose every $ref resolves. */
export async function assertValidOpenApi31(doc: OpenApiDocument): Promise<void> {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
  expect(result.errors ?? []).toEqual([]);
  expect(result.valid).toBe(true);
  expect(validator.version).toBe("3.1");
  expect(() => validator.resolveRefs()).not.toThrow();
}

/**
 * Every schema the document holds, in its components and inline under its paths (parameters,
 * request bodies, responses), is valid JSON Schema 2020-12 (OpenAPI 3.1's dialect); there are
 * more than `moreThan` of them, so a walk that finds none cannot pass.
 */
export function assertJsonSchemas2020(doc: OpenApiDocument, moreThan: number): void {
  const ajv = new Ajv2020({ strict: false });
  const schemas: [string, unknown][] = Object.entries(doc.components.schemas);
  const walk = (node: unknown, where: string): void => {
    if (!node || typeof node !== "object") return;
    for (const [k, v] of Object.entries(node)) {
      if (k === "schema") schemas.push([where, v]);
      else walk(v, `${where}.${k}`);
    }
  };
  walk(doc.paths, "paths");
  expect(schemas.length).toBeGreaterThan(moreThan);
  for (const [where, schema] of schemas) {
    expect(ajv.validateSchema(schema as object), `${where}: ${ajv.errorsText(ajv.errors)}`).toBe(true);
  }
  // And the validator does reject a schema that is not one.
  expect(ajv.validateSchema({ type: 12 })).toBe(false);
}
