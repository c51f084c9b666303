import { json, type OpenApiDocument, type PathItems } from "@switchyard/http";
import { Hono } from "hono";
import type { AppEnv } from "../env-types.ts";

/**
 * Public: the document describes the API and holds no secret. It comes in built, since it is
 * assembled from every route file's docs, this one's included.
 */
export function openApiRoutes(doc: OpenApiDocument) {
  return new Hono<AppEnv>().get("/openapi.json", (c) => c.json(doc));
}

export const openApiDocs: PathItems = {
  "/openapi.json": {
    get: {
      tags: ["ingest"],
      summary: "This document",
      security: [],
      responses: { "200": { description: "OpenAPI 3.1", content: json({ type: "object" }) } },
    },
  },
};
