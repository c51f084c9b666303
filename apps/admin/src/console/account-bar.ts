import type { Context } from "hono";
import { html } from "hono/html";
import { hasSessionCookie } from "../sessions.ts";

/** The header's right end: who is signed in, as what, and (for a browser session) Log out. */
export function accountBar(c: Context) {
  const actor = c.get("actor") as string | undefined;
  if (!actor) return "";
  const role = c.get("role") as string | undefined;
  const logout = hasSessionCookie(c)
    ? html`<form class="inline" method="post" action="/console/logout"><button type="submit" style="white-space:nowrap">Log out</button></form>`
    : "";
  return html`<span class="who" style="white-space:nowrap" data-testid="signed-in-as">${actor}${role ? ` (${role})` : ""}</span>${logout}`;
}
