import { z } from "zod";
import type { ErrorTable } from "./errors.ts";

/** Enough of OpenAPI 3.1 to build and merge documents; validity is checked by the apps' tests. */
export interface OpenApiDocument {
  openapi: "3.1.0";
  info: { title: string; version: string; description?: string };
  servers?: { url: string; description?: string }[];
  security?: Record<string, string[]>[];
  paths: PathItems;
  components: {
    schemas: Record<string, unknown>;
    securitySchemes: Record<string, unknown>;
    parameters?: Record<string, unknown>;
  };
}

/** Path items by path, as a route file describes the routes it registers. */
export type PathItems = Record<string, Record<string, unknown>>;

/** A zod request schema as a JSON Schema (2020-12, OpenAPI 3.1's dialect), as a client must send it. */
export function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return rest;
}

/** The one error shape every app answers with, for the codes of its table. */
export function errorSchema(table: ErrorTable): Record<string, unknown> {
  const codes = Object.keys(table);
  return {
    type: "object",
    required: ["error"],
    additionalProperties: false,
    properties: {
      error: {
        type: "object",
        required: ["code", "message", "requestId"],
        additionalProperties: false,
        properties: {
          code: {
            type: "string",
            enum: codes,
            description: `HTTP status by code: ${codes.map((c) => `${c} ${table[c]}`).join(", ")}.`,
          },
          message: { type: "string", description: "For people; never carries a secret." },
          requestId: { type: "string", description: "Also in the X-Request-Id response header." },
        },
      },
    },
  };
}

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: unknown) => ({ "application/json": { schema } });

/** Error responses by status, each listing the codes that can produce it. */
export function errorResponses<C extends string>(
  codes: readonly C[],
  table: Record<C, number>,
  schemaName: string,
): Record<string, unknown> {
  const byStatus = new Map<number, C[]>();
  for (const code of codes) byStatus.set(table[code], [...(byStatus.get(table[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, list]) => [
      String(status),
      { description: list.join(" | "), content: json(ref(schemaName)) },
    ]),
  );
}

type Schema = Record<string, unknown>;
const STRING: Schema = { type: "string" };

/** A required request header. */
export const headerParam = (name: string, description: string, schema: Schema = STRING) => ({
  name,
  in: "header",
  required: true,
  description,
  schema,
});

/** An optional query parameter. */
export const queryParam = (name: string, description: string, schema: Schema = STRING) => ({
  name,
  in: "query",
  required: false,
  description,
  schema,
});

/** A path parameter (`{name}` in the path, `:name` in Hono's). */
export const pathParam = (name: string, description: string, schema: Schema = STRING) => ({
  name,
  in: "path",
  required: true,
  description,
  schema,
});

/** A route file's path items as mounted under `prefix`, as `app.route(prefix, routes)` joins the paths. */
export function mountPaths(prefix: string, items: PathItems): PathItems {
  return Object.fromEntries(Object.entries(items).map(([path, item]) => [path === "/" ? prefix : prefix + path, item]));
}

/**
 * Routes a Hono app registers that the document does not describe, as "METHOD /path". Middleware
 * (method ALL) is not a route. Hono's `:name` parameters are OpenAPI's `{name}`.
 */
export function undocumentedRoutes(
  routes: readonly { method: string; path: string }[],
  doc: Pick<OpenApiDocument, "paths">,
  skip: (path: string) => boolean = () => false,
): string[] {
  const missing = new Set<string>();
  for (const { method, path } of routes) {
    if (method === "ALL" || skip(path)) continue;
    const templated = path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const item = doc.paths[templated];
    if (!item?.[method.toLowerCase()]) missing.add(`${method} ${templated}`);
  }
  return [...missing];
}
