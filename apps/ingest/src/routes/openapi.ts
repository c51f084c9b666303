import { Hono } from "hono";
import type { AppEnv, IngestDeps } from "../env-types.ts";
import { ingestOpenApi } from "../openapi.ts";

/** Public: the document describes the API and holds no secret. */
export function openApiRoutes(deps: IngestDeps) {
  const doc = ingestOpenApi(deps.config.INGEST_PUBLIC_URL);
  return new Hono<AppEnv>().get("/openapi.json", (c) => c.json(doc));
}
