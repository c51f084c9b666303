import { writeAudit } from "@switchyard/db";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { requestId } from "hono/request-id";
import { requireAdmin } from "./auth.ts";
import { BULL_BOARD_PATH, bullBoard } from "./bull-board.ts";
import { CONSOLE_PATH } from "./console/page.ts";
import { consoleRoutes } from "./console/routes.ts";
import { noCrossSiteWrites } from "./console/same-origin.ts";
import type { AdminDeps, AdminEnv } from "./env-types.ts";
import { AdminError, adminErrorResponse } from "./errors.ts";
import { adminOpenApi } from "./openapi.ts";
import { apiRoutes } from "./routes/api.ts";
import { metricsRoutes } from "./routes/metrics.ts";

/** Bull Board's own actions (retry, clean, pause...) are manual actions too: audit them. */
function auditBullBoard(deps: AdminDeps) {
  return createMiddleware<AdminEnv>(async (c, next) => {
    await next();
    if (c.req.method !== "GET" && c.res.status < 400) {
      const path = new URL(c.req.url).pathname.replace(`${BULL_BOARD_PATH}/api/`, "");
      await writeAudit(deps.db, {
        actor: c.get("actor"),
        action: `bull-board ${c.req.method} ${path}`,
        target: path.split("/")[1] ?? null,
      });
    }
  });
}

/** The private operator app: the console at /console, Bull Board at /queues, JSON at /api; never on the public port. */
export function newAdminApp(deps: AdminDeps) {
  const app = new Hono<AdminEnv>();
  app.use(requestId({ limitLength: 64 }));
  app.use(requireAdmin(deps.credentials));
  app.use("/api/*", noCrossSiteWrites());
  app.use(`${BULL_BOARD_PATH}/api/*`, noCrossSiteWrites());
  app.use(`${BULL_BOARD_PATH}/api/*`, auditBullBoard(deps));
  app.route(BULL_BOARD_PATH, bullBoard(deps.registry));
  app.route("/api", apiRoutes(deps));
  app.route("/metrics", metricsRoutes({ ...deps, prefix: deps.config.QUEUE_PREFIX }));
  app.route(CONSOLE_PATH, consoleRoutes(deps));
  app.get("/", (c) => c.redirect(CONSOLE_PATH));
  const openApi = adminOpenApi(deps.config);
  app.get("/openapi.json", (c) => c.json(openApi));
  app.notFound((c) => adminErrorResponse(c, new AdminError("not_found", "no such route")));
  app.onError((err, c) => {
    if (err instanceof AdminError) return adminErrorResponse(c, err);
    deps.logger.error("admin error", { requestId: c.get("requestId"), err });
    return adminErrorResponse(c, new AdminError("internal_error", "internal error"));
  });
  return app;
}
