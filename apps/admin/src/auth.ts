import { safeEqual } from "@switchyard/config";
import { isDatabaseUnavailable } from "@switchyard/db";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { html } from "hono/html";
import { BULL_BOARD_PATH } from "./bull-board.ts";
import { CONSOLE_PATH, page, text } from "./console/page.ts";
import { crossOriginReason } from "./console/same-origin.ts";
import type { AdminCredentials, AdminDeps, AdminEnv } from "./env-types.ts";
import { AdminError, adminErrorResponse } from "./errors.ts";
import { type Role, requiredRole, roleAllows } from "./roles.ts";
import { sessionOf } from "./sessions.ts";

/** What the audit log calls the bearer token: a machine credential, named for its variable. */
export const TOKEN_ACTOR = "ADMIN_TOKEN";

export interface Principal {
  actor: string;
  role: Role;
  via: "token" | "basic" | "session";
}

/** Who the Authorization header proves the caller to be, or undefined. Every compare is constant-time. */
export function authenticate(header: string | undefined, creds: AdminCredentials): Principal | undefined {
  if (!header) return undefined;
  const bearer = /^Bearer +(\S+)$/i.exec(header)?.[1];
  if (bearer && creds.token && safeEqual(bearer, creds.token))
    return { actor: TOKEN_ACTOR, role: "admin", via: "token" };
  const basic = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(header)?.[1];
  if (basic && creds.user && creds.password) {
    const decoded = Buffer.from(basic, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return undefined;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    // Both compares always run, so timing does not tell which half was wrong.
    const ok = safeEqual(user, creds.user) && safeEqual(password, creds.password);
    return ok ? { actor: creds.user, role: "admin", via: "basic" } : undefined;
  }
  return undefined;
}

/** A page a browser navigates to (not an API call, nor one of Bull Board's own fetches). */
function isPageRequest(c: Context): boolean {
  if (c.req.method !== "GET" && c.req.method !== "HEAD") return false;
  if (!(c.req.header("accept") ?? "").includes("text/html")) return false;
  const path = c.req.path;
  const page = (base: string) => path === base || path.startsWith(`${base}/`);
  return path === "/" || page(CONSOLE_PATH) || (page(BULL_BOARD_PATH) && !page(`${BULL_BOARD_PATH}/api`));
}

const loginUrl = (c: Context) => {
  const url = new URL(c.req.url);
  return `${CONSOLE_PATH}/login?next=${encodeURIComponent(`${url.pathname}${url.search}`)}`;
};

function refuse(c: Context, principal: Principal, needed: Role) {
  const message = `${principal.actor} (${principal.role}) may not do this: it needs the ${needed} role`;
  if (c.req.path.startsWith(`${CONSOLE_PATH}/`)) {
    return page(
      c,
      "Not allowed",
      html`<p class="bad">${text(message)}.</p><p>Ask an admin for the role, or go <a href="${CONSOLE_PATH}">back to the overview</a>.</p>`,
      403,
    );
  }
  return adminErrorResponse(c, new AdminError("forbidden", message));
}

/**
 * Everything under admin, Bull Board and its API included, needs credentials: the bearer token or
 * basic auth (scripts), or a console session cookie (browsers). A browser without one is sent to
 * the sign-in page; then the route's role is checked before any handler reads or writes.
 */
export function requireAdmin(deps: AdminDeps) {
  return createMiddleware<AdminEnv>(async (c, next) => {
    let principal = authenticate(c.req.header("authorization"), deps.credentials);
    if (!principal) {
      try {
        const session = await sessionOf(c, deps.db);
        if (session) principal = { actor: session.name, role: session.role, via: "session" };
      } catch (err) {
        if (!isDatabaseUnavailable(err)) throw err;
        return adminErrorResponse(c, new AdminError("unavailable", "the database is unavailable; try again shortly"), {
          "retry-after": "5",
        });
      }
    }
    if (!principal) {
      if (isPageRequest(c)) return c.redirect(loginUrl(c), 303);
      return adminErrorResponse(c, new AdminError("unauthorized", "admin credentials required"), {
        "www-authenticate": deps.credentials.user
          ? 'Basic realm="Switchyard admin", charset="UTF-8"'
          : 'Bearer realm="Switchyard admin"',
      });
    }
    // A cookie rides along with any site's request; only this origin's own pages may write with it.
    if (principal.via === "session" && c.req.method !== "GET" && c.req.method !== "HEAD") {
      const why = crossOriginReason(c.req.raw.headers, c.req.url);
      if (why) return adminErrorResponse(c, new AdminError("forbidden", `cross-site request refused (${why})`));
    }
    const needed = requiredRole(c.req.method, c.req.path);
    if (!roleAllows(principal.role, needed)) return refuse(c, principal, needed);
    c.set("actor", principal.actor);
    c.set("role", principal.role);
    await next();
  });
}
