import { processMetrics } from "@switchyard/metrics";
import { Hono } from "hono";
import { requestId } from "hono/request-id";
import type { AppEnv, IngestDeps } from "./env-types.ts";
import { ApiError, errorResponse } from "./errors.ts";
import { countRequests } from "./metrics.ts";
import { createPipeline } from "./pipeline.ts";
import { appEventRoutes } from "./routes/app-events.ts";
import { healthRoutes } from "./routes/health.ts";
import { openApiRoutes } from "./routes/openapi.ts";
import { webhookRoutes } from "./routes/webhooks.ts";

/** The public edge. Built from its dependencies so tests drive it through app.request(). */
export function newApp(deps: IngestDeps) {
  const now = deps.now ?? Date.now;
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    // Timestamp windows are measured from arrival, not from when a slow body finished.
    c.set("receivedAt", now());
    await next();
  });
  app.use(requestId({ limitLength: 64 }));
  const metrics = deps.metrics ?? processMetrics();
  const routeDeps = { ...deps, pipeline: deps.pipeline ?? createPipeline(deps), metrics };
  const counted = countRequests(metrics);
  app.use("/webhooks/*", counted);
  app.use("/v1/events", counted);
  app.route("/", healthRoutes(deps));
  app.route("/", openApiRoutes(deps));
  app.route("/webhooks", webhookRoutes(routeDeps));
  app.route("/v1/events", appEventRoutes(routeDeps));
  app.notFound((c) => errorResponse(c, new ApiError("not_found", "no such route")));
  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err);
    deps.logger.error("unhandled error", { requestId: c.get("requestId"), err });
    return errorResponse(c, new ApiError("internal_error", "internal error"));
  });
  return app;
}

export type IngestApp = ReturnType<typeof newApp>;
