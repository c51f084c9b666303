import { Hono } from "hono";
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
        throw new ApiError("not_ready", "a dependency (Redis or Postgres) is unreachable");
      }
      return c.json({ status: "ready" });
    });
}
