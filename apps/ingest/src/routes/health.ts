import { json, type PathItems } from "@switchyard/http";
import { Hono } from "hono";
import { errorDocs } from "../docs.ts";
import type { AppEnv, IngestDeps } from "../env-types.ts";
import { ApiError } from "../errors.ts";

export function healthRoutes(deps: IngestDeps) {
  return new Hono<AppEnv>()
    .get("/healthz", (c) => c.json({ status: "ok" }))
    .get("/readyz", async (c) => {
      try {
        await deps.checkReady();
      } catch (err) {
        deps.logger.warn("not ready", { err });
        throw new ApiError("not_ready", "shutting down, or a dependency (Redis or Postgres) is unreachable");
      }
      return c.json({ status: "ready" });
    });
}

const statusSchema = (value: string) => ({
  type: "object",
  required: ["status"],
  properties: { status: { const: value } },
});

export const healthDocs: PathItems = {
  "/healthz": {
    get: {
      tags: ["ingest"],
      summary: "Liveness",
      security: [],
      responses: { "200": { description: "Up", content: json(statusSchema("ok")) } },
    },
  },
  "/readyz": {
    get: {
      tags: ["ingest"],
      summary: "Readiness: Redis and Postgres reachable, and not shutting down",
      security: [],
      responses: {
        "200": { description: "Ready", content: json(statusSchema("ready")) },
        ...errorDocs(["not_ready"]),
      },
    },
  },
};
