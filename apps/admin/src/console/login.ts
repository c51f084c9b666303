import { getConnInfo } from "@hono/node-server/conninfo";
import { isDatabaseUnavailable } from "@switchyard/db";
import type { Context } from "hono";
import { Hono } from "hono";
import { html, raw } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { BULL_BOARD_PATH } from "../bull-board.ts";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { AdminError, adminErrorResponse } from "../errors.ts";
import { endSession, sessionOf, startSession } from "../sessions.ts";
import { signIn } from "../sign-in.ts";
import { CONSOLE_PATH, field, text } from "./page.ts";
import { sameOriginOnly } from "./same-origin.ts";

export const LOGIN_PATH = `${CONSOLE_PATH}/login`;

/** Where to go once signed in: a console or Bull Board page on this origin, never an open redirect. */
export function safeNext(next: unknown): string {
  if (typeof next !== "string" || !next.startsWith("/") || next.startsWith("//")) return CONSOLE_PATH;
  const base = "http://admin.invalid";
  let url: URL;
  try {
    url = new URL(next, base);
  } catch {
    return CONSOLE_PATH;
  }
  const under = (p: string) => url.pathname === p || url.pathname.startsWith(`${p}/`);
  if (url.origin !== base || under(LOGIN_PATH) || !(under(CONSOLE_PATH) || under(BULL_BOARD_PATH))) return CONSOLE_PATH;
  return `${url.pathname}${url.search}`;
}

/** The socket's address: a forwarded-for header is whatever the client says, so it is not used. */
function addressOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "unknown";
  }
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2430}
main{max-width:22rem;margin:12vh auto;background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:1.5rem}
h1{font-size:1.2rem;margin:0 0 1rem}label{display:block;margin:.7rem 0 .2rem}
input{font:inherit;width:100%;box-sizing:border-box;padding:.35rem .5rem}
button{font:inherit;margin-top:1rem;padding:.4rem 1rem}
.flash{padding:.5rem .8rem;border-radius:4px}.ok{background:#e3f6e8}.err{background:#fde8e8}`;

function loginPage(
  c: Context,
  opts: { next: string; name?: string; error?: string; flash?: string },
  status: ContentfulStatusCode = 200,
) {
  c.header(
    "content-security-policy",
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  c.header("x-frame-options", "DENY");
  c.header("x-content-type-options", "nosniff");
  c.header("referrer-policy", "same-origin");
  c.header("cache-control", "no-store");
  return c.html(
    html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Sign in · Switchyard console</title><style>${raw(STYLE)}</style></head>
<body><main>
<h1>Switchyard console</h1>
${opts.flash ? html`<p class="flash ok" role="status">${text(opts.flash, 200)}</p>` : ""}
${opts.error ? html`<p class="flash err" role="alert">${text(opts.error, 200)}</p>` : ""}
<form method="post" action="${LOGIN_PATH}">
<input type="hidden" name="next" value="${opts.next}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required autofocus value="${text(opts.name ?? "", 64)}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</main></body>
</html>`,
    status,
  );
}

/**
 * `/console/login` and `/console/logout`, mounted before the credentials check: the sign-in form
 * sets the session cookie (sessions.ts), logout ends the session server side. Both are POSTs from
 * this origin only, so another site can neither sign a browser out nor into an account of its own.
 */
export function loginRoutes(deps: AdminDeps) {
  const app = new Hono<AdminEnv>();
  app.use("/login", sameOriginOnly());
  app.use("/logout", sameOriginOnly());
  app.onError((err, c) => {
    if (!isDatabaseUnavailable(err)) {
      deps.logger.error("sign-in error", { requestId: c.get("requestId"), err });
      return adminErrorResponse(c, new AdminError("internal_error", "internal error"));
    }
    c.header("retry-after", "5");
    return loginPage(c, { next: CONSOLE_PATH, error: "The database is unavailable; try again in a few seconds." }, 503);
  });
  return app
    .get("/login", async (c) => {
      const next = safeNext(c.req.query("next"));
      if (await sessionOf(c, deps.db)) return c.redirect(next, 303);
      return loginPage(c, { next, flash: c.req.query("flash") });
    })
    .post("/login", async (c) => {
      const form = await c.req.parseBody();
      const next = safeNext(form.next);
      const name = field(form, "username");
      const password = typeof form.password === "string" ? form.password : "";
      const result = await signIn(deps.db, { name, password, address: addressOf(c) });
      if (result.ok) {
        await startSession(c, deps.db, result.account.id, deps.config.ADMIN_SESSION_TTL_MS);
        deps.logger.info("console sign-in", { account: result.account.name, role: result.account.role });
        return c.redirect(next, 303);
      }
      if (result.retryAfterSeconds) {
        c.header("retry-after", String(result.retryAfterSeconds));
        const error = `Too many failed sign-ins. Try again in ${result.retryAfterSeconds} s.`;
        return loginPage(c, { next, name, error }, 429);
      }
      return loginPage(c, { next, name, error: "Wrong username or password." }, 401);
    })
    .post("/logout", async (c) => {
      await endSession(c, deps.db);
      return c.redirect(`${LOGIN_PATH}?flash=${encodeURIComponent("Signed out.")}`, 303);
    });
}
