import { createHash } from "node:crypto";
import type { Context } from "hono";
import { html, raw } from "hono/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { accountBar } from "./account-bar.ts";

export type Html = ReturnType<typeof html>;

export const CONSOLE_PATH = "/console";

/**
 * Every value from the database goes through here before it reaches a template: hono/html escapes
 * strings, but would print an object claiming `isEscaped` (say, a crafted JSON payload) as is.
 */
export function text(value: unknown, max = 400): string {
  if (value === null || value === undefined) return "";
  const s = value instanceof Date ? value.toISOString().replace("T", " ").slice(0, 19) : String(value);
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

export const json = (value: unknown, max = 400) =>
  value === null || value === undefined ? "" : text(JSON.stringify(value), max);

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2430;background:#f6f7f9}
header{background:#1d2430;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center}
header a{color:#cfe0ff;text-decoration:none}header strong{margin-right:1rem}
main{padding:1rem 1.2rem;max-width:1200px}
h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
table{border-collapse:collapse;background:#fff;width:100%}
th,td{border:1px solid #dde1e7;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.flash{padding:.5rem .8rem;border-radius:4px;margin-bottom:1rem}
.ok{background:#e3f6e8;border:1px solid #9fd8ae}.err{background:#fde8e8;border:1px solid #f0a8a8}
.bad{color:#b3261e;font-weight:600}.good{color:#1e7b34;font-weight:600}
form.inline{display:inline-flex;gap:.3rem;margin:0}
input,select,button{font:inherit;padding:.15rem .4rem}
code,pre{font:12px ui-monospace,monospace;white-space:pre-wrap;word-break:break-word;margin:0}
.muted{color:#667}code.id{font-size:12px;white-space:nowrap}header form.search{margin-left:auto;display:flex;gap:.3rem}
.pager{display:flex;gap:1rem;align-items:center;margin:.5rem 0}.badge{display:inline-block;padding:0 .4rem;border-radius:3px;background:#eef1f5}
details>summary{cursor:pointer}svg.chart{background:#fff;border:1px solid #dde1e7;max-width:100%;height:auto}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;background:#fff;padding:.6rem;border:1px solid #dde1e7}dt{color:#667}dd{margin:0}
`;

/**
 * The console's pages, in the header's order; a page of its own adds one entry here. The search
 * box beside them goes to /console/search.
 */
export const NAV: readonly { href: string; label: string }[] = [
  { href: CONSOLE_PATH, label: "Overview" },
  { href: `${CONSOLE_PATH}/events`, label: "Events" },
  { href: `${CONSOLE_PATH}/customers`, label: "Customer" },
  { href: `${CONSOLE_PATH}/failures`, label: "Failures" },
  { href: `${CONSOLE_PATH}/reviews`, label: "Reviews" },
  { href: `${CONSOLE_PATH}/audit`, label: "Audit" },
  { href: `${CONSOLE_PATH}/rollout`, label: "Rollout" },
  { href: `${CONSOLE_PATH}/accounts`, label: "Accounts" },
  { href: "/queues", label: "Bull Board" },
];

/**
 * The one script: times are rendered in UTC on the server and, where script runs, rewritten to
 * the viewer's zone with UTC kept on hover. The CSP allows exactly this text, by its hash.
 */
const LOCAL_TIMES = `for(const t of document.querySelectorAll("time[datetime]")){const d=new Date(t.getAttribute("datetime"));if(!isNaN(d)){t.title=t.textContent;t.textContent=d.toLocaleString();}}`;
/** The script element every page ends with (tests strip it before looking for injected markup). */
export const SCRIPT_TAG = `<script>${LOCAL_TIMES}</script>`;
const LOCAL_TIMES_HASH = `'sha256-${createHash("sha256").update(LOCAL_TIMES).digest("base64")}'`;

/** A moment as `<time>`: UTC in the page (and without script), local time where script runs. */
export function when(value: Date | string | number | null | undefined): Html | string {
  if (value === null || value === undefined) return "";
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return "";
  return html`<time datetime="${d.toISOString()}">${text(d)} UTC</time>`;
}

/** A full id in monospace, never a prefix: UUIDv7 prefixes repeat for every id of a minute. */
export function fullId(id: string | null | undefined, href?: string): Html | string {
  if (!id) return "";
  return href
    ? html`<a href="${href}"><code class="id">${text(id)}</code></a>`
    : html`<code class="id">${text(id)}</code>`;
}

export const eventUrl = (id: string) => `${CONSOLE_PATH}/events/${encodeURIComponent(id)}`;
export const customerUrl = (key: string) => `${CONSOLE_PATH}/customers?q=${encodeURIComponent(key)}`;
export const jobUrl = (queue: string, jobId: string) =>
  `/queues/queue/${encodeURIComponent(queue)}/${encodeURIComponent(jobId)}`;

/** The console's one layout; its only script is LOCAL_TIMES, allowed by hash, and every page works without it. */
export function page(c: Context, title: string, body: Html, status: ContentfulStatusCode = 200) {
  const flash = c.req.query("flash");
  const error = c.req.query("error");
  c.header(
    "content-security-policy",
    `default-src 'none'; style-src 'unsafe-inline'; script-src ${LOCAL_TIMES_HASH}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
  );
  c.header("x-frame-options", "DENY");
  c.header("x-content-type-options", "nosniff");
  c.header("referrer-policy", "same-origin");
  c.header("cache-control", "no-store");
  return c.html(
    html`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${title} · Switchyard console</title><style>${raw(STYLE)}</style></head>
<body>
<header><strong>Switchyard console</strong>
${NAV.map(
  (n) => html`<a href="${n.href}">${n.label}</a>
`,
)}
<form class="search" method="get" action="${CONSOLE_PATH}/search" role="search">
<input name="q" size="30" aria-label="Find an event or customer" placeholder="event id, evt_…, email, customer id">
<button type="submit">Go</button></form>${accountBar(c)}</header>
<main>
<h1>${title}</h1>
${flash ? html`<p class="flash ok" role="status">${text(flash, 300)}</p>` : ""}
${error ? html`<p class="flash err" role="alert">${text(error, 300)}</p>` : ""}
${body}
</main>
${raw(SCRIPT_TAG)}
</body>
</html>`,
    status,
  );
}

/**
 * Where to go after a POST: `back` when it is a console path on this origin (never an open
 * redirect), else the fallback, with the flash message in the query string.
 */
export function afterPost(back: unknown, fallback: string, message: { flash: string } | { error: string }): string {
  const base = "http://console.invalid";
  let url = new URL(fallback, base);
  const ours = (path: string) => path === CONSOLE_PATH || path.startsWith(`${CONSOLE_PATH}/`);
  if (typeof back === "string" && ours(back.split("?")[0] ?? "")) {
    const candidate = new URL(back, base);
    if (candidate.origin === base && ours(candidate.pathname)) url = candidate;
  }
  url.searchParams.delete("flash");
  url.searchParams.delete("error");
  for (const [k, v] of Object.entries(message)) url.searchParams.set(k, v);
  return `${url.pathname}${url.search}`;
}

/** A form field as a trimmed string ("" when absent or a file). */
export function field(form: Record<string, unknown>, name: string): string {
  const v = form[name];
  return typeof v === "string" ? v.trim() : "";
}
