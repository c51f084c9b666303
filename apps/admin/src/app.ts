import { writeAudit } from "@switchyard/db";
import { requestIds } from "@switchyard/http";
import { keyPrefix } from "@switchyard/queue";
import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { requireAdmin } from "./auth.ts";
import { BULL_BOARD_PATH, bullBoard } from "./bull-board.ts";
import { loginRoutes } from "./console/login.ts";
import { CONSOLE_PATH } from "./console/page.ts";
import { consoleRoutes } from "./console/routes.ts";
import { noCrossSiteWrites } from "./console/same-origin.ts";
import type { AdminDeps, AdminEnv } from "./env-types.ts";
import { AdminError, adminErrorResponse } from "./errors.ts";
import { adminOpenApi } from "./openapi.ts";
import { apiRoutes } from "./routes/api.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { rootRoutes } from "./routes/root.ts";
import { isInvalidText, validInput } from "./routes/valid-input.ts";

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
  app.use(requestIds());
  app.use(validInput());
  // The sign-in page and logout come before the credentials check: they are what asks for them.
  app.route(CONSOLE_PATH, loginRoutes(deps));
  app.use(requireAdmin(deps));
  app.use("/api/*", noCrossSiteWrites());
  app.use(`${BULL_BOARD_PATH}/api/*`, noCrossSiteWrites());
  app.use(`${BULL_BOARD_PATH}/api/*`, auditBullBoard(deps));
  app.route(BULL_BOARD_PATH, bullBoard(deps.registry));
  app.route("/api", apiRoutes(deps));
  app.route("/metrics", metricsRoutes({ ...deps, prefix: keyPrefix(deps.config) }));
  app.route(CONSOLE_PATH, consoleRoutes(deps));
  app.route("/", rootRoutes(adminOpenApi(deps.config, deps.publicApi)));
  app.notFound((c) => adminErrorResponse(c, new AdminError("not_found", "no such route")));
  app.onError((err, c) => {
    if (err instanceof AdminError) return adminErrorResponse(c, err);
    if (isInvalidText(err))
      return adminErrorResponse(
        c,
        new AdminError("invalid_request", "Invalid input: text with a NUL byte or an invalid escape."),
      );
    deps.logger.error("admin error", { requestId: c.get("requestId"), err });
    return adminErrorResponse(c, new AdminError("internal_error", "internal error"));
  });
  return app;
}
