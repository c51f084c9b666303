import { requestIds } from "@switchyard/http";
import { processMetrics } from "@switchyard/metrics";
import { Hono } from "hono";
import type { AppEnv, IngestDeps } from "./env-types.ts";
import { ApiError, errorResponse } from "./errors.ts";
import { countRefusals, countRequests } from "./metrics.ts";
import { ingestOpenApi } from "./openapi.ts";
import { createPipeline } from "./pipeline.ts";
import { ClientGoneError } from "./raw-body.ts";
import { createRefusalCounter } from "./refusal-counter.ts";
import { actionRoutes } from "./routes/actions.ts";
import { appEventRoutes } from "./routes/app-events.ts";
import { customerStatusRoutes } from "./routes/customer-status.ts";
import { eventStatusRoutes } from "./routes/event-status.ts";
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
  app.use(requestIds());
  const metrics = deps.metrics ?? processMetrics();
  const pipeline = deps.pipeline ?? createPipeline({ ...deps, timeoutMs: deps.config.DATABASE_TIMEOUT_MS });
  const routeDeps = { ...deps, pipeline, metrics };
  const counted = countRequests(metrics);
  app.use("/webhooks/*", counted);
  app.use("/webhooks/*", countRefusals(deps.refusals ?? createRefusalCounter({ db: deps.db, logger: deps.logger })));
  // Only posting counts as a delivery: the app's reads of /v1/events are not webhook traffic.
  app.use("/v1/events", (c, next) => (c.req.method === "POST" ? counted(c, next) : next()));
  app.route("/", healthRoutes(deps));
  app.route("/", openApiRoutes(ingestOpenApi(deps.config.INGEST_PUBLIC_URL, deps.sources)));
  app.route("/webhooks", webhookRoutes(routeDeps));
  app.route("/v1/events", appEventRoutes(routeDeps));
  app.route("/v1/actions", actionRoutes(routeDeps));
  app.route("/v1/events", eventStatusRoutes(routeDeps));
  app.route("/v1/customers", customerStatusRoutes(routeDeps));
  app.notFound((c) => errorResponse(c, new ApiError("not_found", "no such route")));
  app.onError((err, c) => {
    if (err instanceof ApiError) return errorResponse(c, err);
    if (err instanceof ClientGoneError) {
      // Nobody is left to read an answer; the client's doing, not an error of ingest's.
      deps.logger.debug("client went away before its body ended", { requestId: c.get("requestId") });
      return c.body(null, 400);
    }
    deps.logger.error("unhandled error", { requestId: c.get("requestId"), err });
    return errorResponse(c, new ApiError("internal_error", "internal error"));
  });
  return app;
}

export type IngestApp = ReturnType<typeof newApp>;
