import { type FailureRow, pageFailures } from "@switchyard/db";
import { REASON_CODES, WORK_QUEUES } from "@switchyard/events";
import { Hono } from "hono";
import { html } from "hono/html";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { AdminError } from "../errors.ts";
import { discardOne, failureOr404, isUuid, retryOne } from "../operations.ts";
import { reasonText } from "../routes/api-schemas.ts";
import { withCursor } from "../routes/list-query.ts";
import { afterPost, CONSOLE_PATH, eventUrl, field, fullId, type Html, jobUrl, page, text, when } from "./page.ts";
import { pager } from "./pager.ts";

const STATUSES = ["open", "retrying", "resolved", "discarded"] as const;
const FAILURES_PATH = `${CONSOLE_PATH}/failures`;
const PAGE_SIZE = 100;

interface Filter {
  reason: string;
  queue: string;
  status: string;
  customer: string;
  /** An event id: that event's failures. */
  event: string;
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
${f.event ? html`<input type="hidden" name="event" value="${f.event}">` : ""}
<button type="submit">Search</button>
</form>`;
}

function actions(f: FailureRow, back: string): Html | string {
  if (f.status === "resolved" || f.status === "discarded") return text(f.note);
  return html`<form class="inline" method="post" action="${FAILURES_PATH}/${f.id}/retry">
<input type="hidden" name="back" value="${back}"><input type="hidden" name="attempt" value="${f.occurrences}">
<button type="submit">Retry</button></form>
<form class="inline" method="post" action="${FAILURES_PATH}/${f.id}/discard">
<input type="hidden" name="back" value="${back}">
<input name="note" required minlength="3" maxlength="1000" placeholder="note (required)" aria-label="note for discarding ${f.id}">
<button type="submit">Discard</button></form>`;
}

function table(rows: FailureRow[], back: string): Html {
  return html`<table data-testid="failures">
<thead><tr><th>updated</th><th>reason</th><th>queue / job</th><th>status</th><th>attempts</th><th>last error</th><th>event</th><th></th></tr></thead>
<tbody>${rows.map(
    (f) => html`<tr data-failure="${f.id}">
<td>${when(f.updatedAt)}</td><td>${text(f.reason)}</td>
<td>${text(f.queue)}<br><span class="muted">${text(f.jobName)}</span><br>${fullId(f.jobId, jobUrl(f.queue, f.jobId))}</td>
<td>${text(f.status)}</td><td class="num">${f.attempts}${f.occurrences > 1 ? ` (failed ${f.occurrences}×)` : ""}</td>
<td><code>${text(f.lastError, 300)}</code><br><span class="muted">failure ${fullId(f.id)}</span></td>
<td>${f.eventId ? fullId(f.eventId, eventUrl(f.eventId)) : html`<span class="muted">none</span>`}</td>
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
        event: (q.event ?? "").trim(),
        q: (q.q ?? "").trim(),
      };
      if (filter.event && !isUuid(filter.event)) throw new AdminError("invalid_request", "event must be an event id");
      const after = q.after ?? "";
      const result = await withCursor(() =>
        pageFailures(
          deps.db,
          {
            reason: filter.reason || undefined,
            queue: filter.queue || undefined,
            status: filter.status || undefined,
            customer: filter.customer || undefined,
            eventId: filter.event || undefined,
            q: filter.q || undefined,
          },
          { after: after || undefined, limit: PAGE_SIZE },
        ),
      );
      const params = new URLSearchParams({ ...filter });
      if (after) params.set("after", after);
      const back = `${FAILURES_PATH}?${params.toString()}`;
      const body =
        result.rows.length === 0
          ? html`<p class="muted">No failures match.</p>`
          : html`${pager(FAILURES_PATH, { ...filter }, result, result.rows.length, after)}${table(result.rows, back)}${pager(FAILURES_PATH, { ...filter }, result, result.rows.length, after)}`;
      return page(c, "Failures", html`${searchForm(filter)}${body}`);
    })
    .post("/failures/:id/retry", async (c) => {
      const form = await c.req.parseBody();
      // The occurrence the page showed: a click on a page older than the failure's latest
      // occurrence is refused rather than re-driving a failure the operator has not seen.
      const attempt = Number(field(form, "attempt"));
      const to = await act(c.req.param("id"), form, async (f) => {
        const outcome = await retryOne(
          deps,
          c.get("actor"),
          f,
          Number.isInteger(attempt) && attempt > 0 ? attempt : undefined,
        );
        return `Retry of ${f.id}: ${outcome}.`;
      });
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
