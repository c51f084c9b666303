import { createMiddleware } from "hono/factory";
import type { AdminEnv } from "../env-types.ts";
import { AdminError, adminErrorResponse } from "../errors.ts";

/**
 * Why a state-changing request may not come from this console's own pages, or undefined when it
 * does. Browsers attach basic-auth credentials to any site's form post, so the credentials alone
 * prove nothing: the browser's own Sec-Fetch-Site, or else its Origin, must say "this origin".
 * A request with neither (no browser sent it) is refused too: console forms always carry them.
 */
export function crossOriginReason(headers: Headers, requestUrl: string): string | undefined {
  const site = headers.get("sec-fetch-site");
  if (site) return site === "same-origin" ? undefined : `Sec-Fetch-Site is ${site}`;
  const origin = headers.get("origin");
  if (!origin) return "neither Sec-Fetch-Site nor Origin was sent";
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return "Origin is not a URL";
  }
  // Host, not scheme: behind a TLS-terminating proxy the app sees http while the page was https.
  return host === new URL(requestUrl).host ? undefined : "Origin is another site";
}

/**
 * The JSON APIs' rule, laxer: curl and scripts send neither header and pass, but a request a
 * browser marks as coming from another site is refused. Without it a `<form enctype="text/plain">`
 * elsewhere could post a JSON body to /api with the operator's cached basic-auth credentials.
 */
export function crossSiteBrowserReason(headers: Headers, requestUrl: string): string | undefined {
  const site = headers.get("sec-fetch-site");
  if (site) return site === "same-origin" || site === "none" ? undefined : `Sec-Fetch-Site is ${site}`;
  return headers.get("origin") ? crossOriginReason(headers, requestUrl) : undefined;
}

/** Refuses every non-GET request that is not same-origin, before any handler reads or writes. */
export function sameOriginOnly() {
  return createMiddleware<AdminEnv>(async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const why = crossOriginReason(c.req.raw.headers, c.req.url);
    if (why) {
      return c.text(`Refused: this form must be sent from the Switchyard console itself (${why}).`, 403, {
        "cache-control": "no-store",
      });
    }
    await next();
  });
}

/** For /api and Bull Board's API: writes a browser sends from another site get 403, before any handler. */
export function noCrossSiteWrites() {
  return createMiddleware<AdminEnv>(async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD" || c.req.method === "OPTIONS") return next();
    const why = crossSiteBrowserReason(c.req.raw.headers, c.req.url);
    if (why) return adminErrorResponse(c, new AdminError("forbidden", `cross-site request refused (${why})`));
    await next();
  });
}
