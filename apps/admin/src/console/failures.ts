import { type FailureRow, searchFailures } from "@switchyard/db";
import { REASON_CODES, WORK_QUEUES } from "@switchyard/events";
import { Hono } from "hono";
import { html } from "hono/html";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { AdminError } from "../errors.ts";
import { discardOne, failureOr404, retryOne } from "../operations.ts";
import { reasonText } from "../routes/api-schemas.ts";
import { afterPost, CONSOLE_PATH, field, type Html, page, text } from "./page.ts";

const STATUSES = ["open", "retrying", "resolved", "discarded"] as const;
const FAILURES_PATH = `${CONSOLE_PATH}/failures`;

interface Filter {
  reason: string;
  queue: string;
  status: string;
  customer: string;
  q: string;
}

function options(values: readonly string[], selected: string, any: string): Html {
  return html`<option value="">${any}</option>${values.map(
    (v) => html`<option value="${v}" ${v === selected ? "selected" : ""}>${v}</option>`,
  )}`;
}

function searchForm(f: Filter): Html {
  return html`<form method="get" action="${FAILURES_PATH}">
<label>reason <select name="reason">${options(REASON_CODES, f.reason, "any")}</select></label>
<label>queue <select name="queue">${options(WORK_QUEUES, f.queue, "any")}</select></label>
<label>status <select name="status">${options(STATUSES, f.status, "any")}</select></label>
<label>customer <input name="customer" value="${f.customer}" size="24" placeholder="email, id or user id"></label>
<label>text <input name="q" value="${f.q}" size="24" placeholder="error or payload text"></label>
<button type="submit">Search</button>
</form>`;
}

function actions(f: FailureRow, back: string): Html | string {
  if (f.status === "resolved" || f.status === "discarded") return text(f.note);
  return html`<form class="inline" method="post" action="${FAILURES_PATH}/${f.id}/retry">
<input type="hidden" name="back" value="${back}"><button type="submit">Retry</button></form>
<form class="inline" method="post" action="${FAILURES_PATH}/${f.id}/discard">
<input type="hidden" name="back" value="${back}">
<input name="note" required minlength="3" maxlength="1000" placeholder="note (required)" aria-label="note for discarding ${f.id}">
<button type="submit">Discard</button></form>`;
}

function table(rows: FailureRow[], back: string): Html {
  if (rows.length === 0) return html`<p class="muted">No failures match.</p>`;
  return html`<p class="muted">${rows.length === 200 ? "First 200 shown; narrow the search." : `${rows.length} shown.`}</p>
<table data-testid="failures">
<thead><tr><th>updated (UTC)</th><th>reason</th><th>queue / job</th><th>status</th><th>attempts</th><th>last error</th><th></th></tr></thead>
<tbody>${rows.map(
    (f) => html`<tr data-failure="${f.id}">
<td>${text(f.updatedAt)}</td><td>${text(f.reason)}</td>
<td>${text(f.queue)}<br><span class="muted">${text(f.jobName)}</span></td>
<td>${text(f.status)}</td><td class="num">${f.attempts}${f.occurrences > 1 ? ` (failed ${f.occurrences}×)` : ""}</td>
<td><code>${text(f.lastError, 300)}</code></td>
<td>${actions(f, back)}</td>
</tr>`,
  )}</tbody></table>`;
}

/** `/console/failures`: search by reason, queue, status, customer and text; retry or discard (with a note) each. */
export function failureRoutes(deps: AdminDeps) {
  /** Runs one action on one failure; where to go next, with what it did or why it could not. */
  const act = async (
    id: string,
    form: Record<string, unknown>,
    run: (f: FailureRow) => Promise<string>,
  ): Promise<string> => {
    const back = field(form, "back");
    try {
      const f = await failureOr404(deps.db, id);
      return afterPost(back, FAILURES_PATH, { flash: await run(f) });
    } catch (err) {
      if (err instanceof AdminError) return afterPost(back, FAILURES_PATH, { error: err.message });
      throw err;
    }
  };

  return new Hono<AdminEnv>()
    .get("/failures", async (c) => {
      const q = c.req.query();
      // Open failures are what an operator acts on; "any" is an explicit empty choice.
      const filter: Filter = {
        reason: q.reason ?? "",
        queue: q.queue ?? "",
        status: q.status ?? "open",
        customer: (q.customer ?? "").trim(),
        q: (q.q ?? "").trim(),
      };
      const rows = await searchFailures(deps.db, {
        reason: filter.reason || undefined,
        queue: filter.queue || undefined,
        status: filter.status || undefined,
        customer: filter.customer || undefined,
        q: filter.q || undefined,
        limit: 200,
      });
      const back = `${FAILURES_PATH}?${new URLSearchParams({ ...filter }).toString()}`;
      return page(c, "Failures", html`${searchForm(filter)}${table(rows, back)}`);
    })
    .post("/failures/:id/retry", async (c) => {
      const form = await c.req.parseBody();
      const to = await act(
        c.req.param("id"),
        form,
        async (f) => `Retry of ${f.id}: ${await retryOne(deps, c.get("actor"), f)}.`,
      );
      return c.redirect(to, 303);
    })
    .post("/failures/:id/discard", async (c) => {
      const form = await c.req.parseBody();
      const to = await act(c.req.param("id"), form, async (f) => {
        const note = reasonText.safeParse(field(form, "note"));
        if (!note.success) throw new AdminError("invalid_request", "Discarding needs a note (a few words).");
        await discardOne(deps, c.get("actor"), f, note.data);
        return `Discarded ${f.id}.`;
      });
      return c.redirect(to, 303);
    });
}
