import { REVIEW_STATUSES, type ReviewEntry } from "@switchyard/domain";
import { Hono } from "hono";
import { html } from "hono/html";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { AdminError } from "../errors.ts";
import { approveOne, rejectOne, reviewsOf } from "../review-ops.ts";
import { reasonText } from "../routes/api-schemas.ts";
import { afterPost, CONSOLE_PATH, field, type Html, json, page, text } from "./page.ts";

export const REVIEWS_PATH = `${CONSOLE_PATH}/reviews`;

/** "3 h 12 min": how long an item has waited. */
export function ageText(ms: number): string {
  const min = Math.floor(ms / 60_000);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return h < 48 ? `${h} h ${min % 60} min` : `${Math.floor(h / 24)} d ${h % 24} h`;
}

const money = (amount: number | null, currency: string | null) =>
  amount === null ? "none" : `${(amount / 100).toFixed(2)} ${(currency ?? "").toUpperCase()}`.trim();

function customerCell(e: ReviewEntry): Html | string {
  const c = e.customer;
  if (!c) return html`<span class="muted">no customer</span>`;
  return html`<dl data-testid="customer-context">
<dt>customer</dt><dd><a href="${CONSOLE_PATH}/customers?q=${encodeURIComponent(c.id)}">${text(c.email ?? c.externalId ?? c.id)}</a></dd>
<dt>plan</dt><dd>${text(c.plan ?? "none")} (${text(c.subscriptionStatus ?? "no subscription")}, ${c.entitled ? "entitled" : "not entitled"})</dd>
<dt>last payment</dt><dd>${text(money(c.lastPaymentAmount, c.lastPaymentCurrency))}${c.lastPaymentAt ? html` on ${text(c.lastPaymentAt)}` : ""}</dd>
<dt>last refund</dt><dd>${c.lastRefundAt ? text(c.lastRefundAt) : "none"}</dd>
${e.ticketExternalId ? html`<dt>ticket</dt><dd><code>${text(e.ticketExternalId, 100)}</code></dd>` : ""}
</dl>`;
}

function proposalCell(e: ReviewEntry): Html {
  const a = e.action;
  return html`<strong>${text(e.kind)}</strong>${a ? html` <span class="badge">proposed by ${text(a.proposedBy)}</span>` : ""}
${a ? html`<br><code data-testid="params">${json(a.params, 600)}</code>` : ""}
${a?.reason ? html`<br><span class="muted">they said:</span> ${text(a.reason, 300)}` : ""}
${e.triage ? html`<br><span class="muted">triage (${text(e.triage.classifier)}):</span> ${text(e.triage.intent)}, ${text(e.triage.summary, 300)}` : ""}
<br><span class="muted">why a person:</span> ${text(e.reason, 300)}`;
}

function decisionCell(e: ReviewEntry, back: string): Html {
  if (e.status !== "open") {
    const run = e.action
      ? html`<br>action ${text(e.action.status)}${e.action.error ? html`: <code>${text(e.action.error, 200)}</code>` : ""}`
      : "";
    return html`<span data-testid="decision">${text(e.decision ?? e.status)} by ${text(e.decidedBy)} ${e.decidedAt ? text(e.decidedAt) : ""}</span>${e.note ? html`<br>${text(e.note, 300)}` : ""}${run}`;
  }
  const id = e.id;
  return html`<form method="post" action="${REVIEWS_PATH}/${id}/approve">
<input type="hidden" name="back" value="${back}">
${e.action ? html`<label>params <input name="params" value="${json(e.action.params, 2_000)}" size="30" aria-label="params for ${id}"></label><br>` : ""}
<input name="note" maxlength="1000" placeholder="note (optional)" aria-label="note for approving ${id}">
<button type="submit" data-testid="approve">Approve</button></form>
<form method="post" action="${REVIEWS_PATH}/${id}/reject">
<input type="hidden" name="back" value="${back}">
<input name="note" required minlength="3" maxlength="1000" placeholder="note (required)" aria-label="note for rejecting ${id}">
<button type="submit">Reject</button></form>`;
}

function table(entries: ReviewEntry[], back: string): Html {
  if (entries.length === 0) return html`<p class="muted">Nothing waits for a person.</p>`;
  return html`<table data-testid="reviews">
<thead><tr><th>waiting</th><th>what was proposed, and why it stopped</th><th>customer</th><th></th></tr></thead>
<tbody>${entries.map(
    (e) => html`<tr data-review="${e.id}" data-kind="${text(e.kind)}">
<td class="num">${ageText(e.ageMs)}<br><span class="muted">${text(e.createdAt)}</span></td>
<td>${proposalCell(e)}</td><td>${customerCell(e)}</td><td>${decisionCell(e, back)}</td></tr>`,
  )}</tbody></table>`;
}

function parseParams(raw: string): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new AdminError("invalid_request", "The params are not valid JSON.");
  }
}

/** `/console/reviews`: the inbox, oldest decisions last; Approve (params editable) and Reject (a note). */
export function reviewRoutes(deps: AdminDeps) {
  const act = async (form: Record<string, unknown>, run: () => Promise<string>) => {
    const back = field(form, "back");
    try {
      return afterPost(back, REVIEWS_PATH, { flash: await run() });
    } catch (err) {
      if (err instanceof AdminError) return afterPost(back, REVIEWS_PATH, { error: err.message });
      throw err;
    }
  };
  return new Hono<AdminEnv>()
    .get("/reviews", async (c) => {
      const q = c.req.query();
      const filter = { status: q.status ?? "open", type: (q.type ?? "").trim(), customer: (q.customer ?? "").trim() };
      const { reviews, next } = await reviewsOf(deps, {
        status: filter.status || undefined,
        type: filter.type || undefined,
        customer: filter.customer || undefined,
        before: q.before,
        limit: 50,
      });
      const back = `${REVIEWS_PATH}?${new URLSearchParams(filter).toString()}`;
      const more = next
        ? html`<p><a rel="next" href="${REVIEWS_PATH}?${new URLSearchParams({ ...filter, before: next }).toString()}">Older items →</a></p>`
        : "";
      return page(
        c,
        "Reviews",
        html`<form method="get" action="${REVIEWS_PATH}">
<label>status <select name="status"><option value="">any</option>${REVIEW_STATUSES.map(
          (s) => html`<option value="${s}" ${s === filter.status ? "selected" : ""}>${s}</option>`,
        )}</select></label>
<label>kind <input name="type" value="${filter.type}" size="16" placeholder="refund, change_plan…"></label>
<label>customer <input name="customer" value="${filter.customer}" size="24" placeholder="email, id or user id"></label>
<button type="submit">Filter</button></form>
${table(reviews, back)}${more}`,
      );
    })
    .post("/reviews/:id/approve", async (c) => {
      const form = await c.req.parseBody();
      const to = await act(form, async () => {
        const params = parseParams(field(form, "params"));
        const note = field(form, "note");
        const done = await approveOne(deps, c.get("actor"), c.req.param("id"), { note, params });
        return done.already ? "Already approved: nothing was run again." : "Approved: the action runs once, now.";
      });
      return c.redirect(to, 303);
    })
    .post("/reviews/:id/reject", async (c) => {
      const form = await c.req.parseBody();
      const to = await act(form, async () => {
        const note = reasonText.safeParse(field(form, "note"));
        if (!note.success) throw new AdminError("invalid_request", "Rejecting needs a note (a few words).");
        const done = await rejectOne(deps, c.get("actor"), c.req.param("id"), note.data);
        return done.already ? "Already rejected." : "Rejected: the action will not run.";
      });
      return c.redirect(to, 303);
    });
}
