import { Hono } from "hono";
import { html } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { ADMIN_ERROR_STATUS, AdminError } from "../errors.ts";
import { isInvalidText } from "../routes/valid-input.ts";
import { accountRoutes } from "./accounts.ts";
import { auditRoutes } from "./audit.ts";
import { customerRoutes } from "./customer.ts";
import { eventRoutes } from "./events.ts";
import { failureRoutes } from "./failures.ts";
import { overviewRoutes } from "./overview.ts";
import { CONSOLE_PATH, page, text } from "./page.ts";
import { reviewRoutes } from "./reviews.ts";
import { rolloutRoutes } from "./rollout.ts";
import { sameOriginOnly } from "./same-origin.ts";

/** The founder's console: server-rendered pages, plain forms, no script; POSTs must be same-origin. */
export function consoleRoutes(deps: AdminDeps) {
  const app = new Hono<AdminEnv>();
  app.use(sameOriginOnly());
  app.route("/", overviewRoutes(deps));
  app.route("/", customerRoutes(deps));
  app.route("/", failureRoutes(deps));
  app.route("/", reviewRoutes(deps));
  app.route("/", eventRoutes(deps));
  app.route("/", auditRoutes(deps));
  app.route("/", rolloutRoutes(deps));
  app.route("/", accountRoutes(deps));
  app.onError((thrown, c) => {
    const err = isInvalidText(thrown)
      ? new AdminError("invalid_request", "Invalid input: text with a NUL byte or an invalid escape.")
      : thrown;
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
