import { safeEqual } from "@switchyard/config";
import { createMiddleware } from "hono/factory";
import type { AdminCredentials, AdminEnv } from "./env-types.ts";
import { AdminError, adminErrorResponse } from "./errors.ts";

/** Who the Authorization header proves the caller to be, or undefined. Every compare is constant-time. */
export function authenticate(header: string | undefined, creds: AdminCredentials): string | undefined {
  if (!header) return undefined;
  const bearer = /^Bearer +(\S+)$/i.exec(header)?.[1];
  if (bearer && creds.token && safeEqual(bearer, creds.token)) return "token";
  const basic = /^Basic +([A-Za-z0-9+/=]+)$/i.exec(header)?.[1];
  if (basic && creds.user && creds.password) {
    const decoded = Buffer.from(basic, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return undefined;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    // Both compares always run, so timing does not tell which half was wrong.
    const ok = safeEqual(user, creds.user) && safeEqual(password, creds.password);
    return ok ? creds.user : undefined;
  }
  return undefined;
}

/** Everything under admin, Bull Board and its API included, needs credentials. */
export function requireAdmin(creds: AdminCredentials) {
  return createMiddleware<AdminEnv>(async (c, next) => {
    const actor = authenticate(c.req.header("authorization"), creds);
    if (!actor) {
      return adminErrorResponse(c, new AdminError("unauthorized", "admin credentials required"), {
        "www-authenticate": creds.user
          ? 'Basic realm="Switchyard admin", charset="UTF-8"'
          : 'Bearer realm="Switchyard admin"',
      });
    }
    c.set("actor", actor);
    await next();
  });
}
