import type { OpenApiDocument, PathItems } from "@switchyard/http";
import { Hono } from "hono";
import { CONSOLE_PATH } from "../console/page.ts";
import type { AdminEnv } from "../env-types.ts";
import { adminError, ok, tags } from "./docs.ts";

/**
 * `/` (to the console) and `/openapi.json`. The document comes in built, since it is assembled from
 * every route file's docs, this one's included.
 */
export function rootRoutes(doc: OpenApiDocument) {
  return new Hono<AdminEnv>().get("/", (c) => c.redirect(CONSOLE_PATH)).get("/openapi.json", (c) => c.json(doc));
}

export const rootDocs: PathItems = {
  "/": {
    get: {
      tags,
      summary: "Redirects to the console at /console (HTML pages, like Bull Board at /queues: not described here)",
      responses: { "302": { description: "To /console" }, ...adminError() },
    },
  },
  "/openapi.json": {
    get: {
      tags,
      summary: "This document: the admin API, and ingest's routes when the process serves both",
      responses: { ...ok("OpenAPI 3.1", { type: "object" }), ...adminError() },
    },
  },
};
