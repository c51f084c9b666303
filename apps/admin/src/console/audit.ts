import { type AuditRow, auditFacets, pageAudit } from "@switchyard/db";
import { Hono } from "hono";
import { html } from "hono/html";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { isUuid } from "../operations.ts";
import { withCursor } from "../routes/list-query.ts";
import { CONSOLE_PATH, fullId, type Html, json, page, text, when } from "./page.ts";
import { pager } from "./pager.ts";

const AUDIT_PATH = `${CONSOLE_PATH}/audit`;
const PAGE_SIZE = 100;

function options(values: string[], selected: string): Html {
  return html`<option value="">any</option>${values.map(
    (v) => html`<option value="${text(v)}" ${v === selected ? "selected" : ""}>${text(v)}</option>`,
  )}`;
}

/** What the entry acted on, linked: a failure or event id to the event's page (or the failures), a customer to theirs. */
function targetCell(a: AuditRow): Html | string {
  const t = a.target;
  if (!t) return "";
  if (!isUuid(t)) return fullId(t);
  if (a.action.startsWith("event.")) return fullId(t, `${CONSOLE_PATH}/events/${t}`);
  if (a.action.startsWith("customer.")) return fullId(t, `${CONSOLE_PATH}/customers?q=${t}`);
  if (a.action.startsWith("failure")) return fullId(t, `${CONSOLE_PATH}/search?q=${t}`);
  return fullId(t);
}

/** `/console/audit`: who did what, when and why, newest first; filter by actor and action; paged. */
export function auditRoutes(deps: AdminDeps) {
  return new Hono<AdminEnv>().get("/audit", async (c) => {
    const q = c.req.query();
    const filter = { actor: (q.actor ?? "").trim(), action: (q.action ?? "").trim() };
    const after = q.after ?? "";
    const [result, facets] = await Promise.all([
      withCursor(() =>
        pageAudit(
          deps.db,
          { actor: filter.actor || undefined, action: filter.action || undefined },
          { after: after || undefined, limit: PAGE_SIZE },
        ),
      ),
      auditFacets(deps.db),
    ]);
    const form = html`<form method="get" action="${AUDIT_PATH}">
<label>who <select name="actor">${options(facets.actors, filter.actor)}</select></label>
<label>action <select name="action">${options(facets.actions, filter.action)}</select></label>
<button type="submit">Filter</button>
</form>`;
    const body =
      result.rows.length === 0
        ? html`<p class="muted">${
            filter.actor || filter.action
              ? "No entries match."
              : "Nothing audited yet: retries, discards, replays, overrides and Bull Board actions land here."
          }</p>`
        : html`${pager(AUDIT_PATH, filter, result, result.rows.length, after)}
<table data-testid="audit"><thead><tr><th>when</th><th>who</th><th>what</th><th>on</th><th>why</th><th>details</th></tr></thead>
<tbody>${result.rows.map(
            (a) => html`<tr data-audit="${a.id}">
<td>${when(a.createdAt)}</td><td>${text(a.actor)}</td><td>${text(a.action)}</td><td>${targetCell(a)}</td>
<td>${text(a.reason)}</td><td>${a.details === null ? "" : html`<details><summary>details</summary><code>${json(a.details, 2_000)}</code></details>`}</td>
</tr>`,
          )}</tbody></table>
${pager(AUDIT_PATH, filter, result, result.rows.length, after)}`;
    return page(c, "Audit log", html`${form}${body}`);
  });
}
