import { Hono } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { ADMIN_ERROR_STATUS, AdminError } from "../errors.ts";
import { customerRoutes } from "./customer.ts";
import { failureRoutes } from "./failures.ts";
import { overviewRoutes } from "./overview.ts";
import { CONSOLE_PATH, page, text } from "./page.ts";
import { sameOriginOnly } from "./same-origin.ts";

/** The founder's console: server-rendered pages, plain forms, no script; POSTs must be same-origin. */
export function consoleRoutes(deps: AdminDeps) {
  const app = new Hono<AdminEnv>();
  app.use(sameOriginOnly());
  app.route("/", overviewRoutes(deps));
  app.route("/", customerRoutes(deps));
  app.route("/", failureRoutes(deps));
  app.onError((err, c) => {
    const known = err instanceof AdminError;
    if (!known) deps.logger.error("console error", { requestId: c.get("requestId"), err });
    const status: ContentfulStatusCode = known ? ADMIN_ERROR_STATUS[err.code] : 500;
    const message = known ? err.message : `Something went wrong (request ${c.get("requestId") ?? "unknown"}).`;
    return page(
      c,
      "Error",
      html`<p class="bad">${text(message)}</p><p><a href="${CONSOLE_PATH}">Back to the overview</a></p>`,
      status,
    );
  });
  return app;
}
