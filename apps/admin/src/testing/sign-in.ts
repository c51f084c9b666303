import type { AdminHarness } from "./harness.ts";
import { ORIGIN } from "./harness.ts";

/** The form post a browser on the sign-in page sends. */
export function postSignIn(h: AdminHarness, username: string, password: string, headers: Record<string, string> = {}) {
  return h.app.request(`${ORIGIN}/console/login`, {
    method: "POST",
    body: new URLSearchParams({ username, password, next: "/console" }).toString(),
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: ORIGIN,
      "sec-fetch-site": "same-origin",
      ...headers,
    },
  });
}

/** `sy_session=…`, ready for a Cookie header, from a sign-in's Set-Cookie. */
export function sessionCookie(res: Response): string {
  const cookie = res.headers.get("set-cookie")?.split(";")[0];
  if (!cookie?.startsWith("sy_session=")) throw new Error(`no session cookie (status ${res.status})`);
  return cookie;
}

export async function signInAs(h: AdminHarness, username: string, password: string): Promise<string> {
  return sessionCookie(await postSignIn(h, username, password));
}

/** A request as a browser with that session sends it: same-origin, its cookie, no Authorization. */
export function asBrowser(h: AdminHarness, cookie: string) {
  const request = (path: string, init: { method?: string; form?: Record<string, string>; json?: unknown } = {}) => {
    const headers: Record<string, string> = {
      cookie,
      accept: "text/html",
      origin: ORIGIN,
      "sec-fetch-site": "same-origin",
    };
    let body: string | undefined;
    if (init.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(init.form).toString();
    } else if (init.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(init.json);
    }
    return h.app.request(`${ORIGIN}${path}`, { method: init.method ?? "GET", headers, body });
  };
  return request;
}
