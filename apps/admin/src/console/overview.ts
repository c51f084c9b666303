import { failureQueueName, isReasonCode, type ReasonCode } from "@switchyard/events";
import { Hono } from "hono";
import { html } from "hono/html";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { AdminError } from "../errors.ts";
import { countRetryAll, openFailuresByReason, retryAll } from "../operations.ts";
import { type KpiView, kpiSection } from "./kpis.ts";
import { afterPost, CONSOLE_PATH, field, page, text } from "./page.ts";

const STATES = ["waiting", "active", "delayed", "prioritized", "failed", "completed"] as const;

async function queueDepths(deps: AdminDeps) {
  const queues = [...deps.registry.all(), ...deps.registry.failures()];
  return Promise.all(queues.map(async (q) => ({ name: q.name, counts: await q.getJobCounts(...STATES) })));
}

async function kpis(deps: AdminDeps): Promise<KpiView[] | "not configured" | "unavailable"> {
  if (!deps.loadKpis) return "not configured";
  try {
    return await deps.loadKpis();
  } catch (err) {
    deps.logger.error("console could not load KPIs", { err });
    return "unavailable";
  }
}

function reasonOf(value: string): ReasonCode {
  if (!isReasonCode(value)) throw new AdminError("invalid_request", `no failure reason ${value.slice(0, 40)}`);
  return value;
}

/** `/console`: queue depths, open failures by reason with retry-all (dry run, then confirm), KPIs. */
export function overviewRoutes(deps: AdminDeps) {
  return new Hono<AdminEnv>()
    .get("/", async (c) => {
      const [depths, byReason, kpiViews] = await Promise.all([
        queueDepths(deps),
        openFailuresByReason(deps.db),
        kpis(deps),
      ]);
      return page(
        c,
        "Overview",
        html`<h2>KPIs</h2>
${kpiSection(kpiViews)}
<h2>Open failures by reason</h2>
${
  byReason.length === 0
    ? html`<p class="muted">No open failures.</p>`
    : html`<table>
<thead><tr><th>reason</th><th>open</th><th></th></tr></thead>
<tbody>${byReason.map(
        (r) => html`<tr data-reason="${text(r.reason)}">
<td><a href="${CONSOLE_PATH}/failures?reason=${encodeURIComponent(r.reason)}">${text(r.reason)}</a></td>
<td class="num">${r.open}</td>
<td><form class="inline" method="get" action="${CONSOLE_PATH}/retry-all"><input type="hidden" name="reason" value="${text(r.reason)}"><button type="submit">Retry all</button></form>
<a href="/queues/queue/failed.${encodeURIComponent(r.reason)}?status=failed">in Bull Board</a></td>
</tr>`,
      )}</tbody></table>`
}
<h2>Queues</h2>
<p><a href="/queues">Open Bull Board</a> for jobs, payloads and per-job actions.</p>
<table>
<thead><tr><th>queue</th>${STATES.map((s) => html`<th>${s}</th>`)}</tr></thead>
<tbody>${depths.map(
          (q) => html`<tr data-queue="${q.name}">
<td><a href="/queues/queue/${encodeURIComponent(q.name)}">${q.name}</a></td>
${STATES.map((s) => html`<td class="num">${q.counts[s] ?? 0}</td>`)}
</tr>`,
        )}</tbody></table>`,
      );
    })
    .get("/retry-all", async (c) => {
      const reason = reasonOf(c.req.query("reason") ?? "");
      const [open, parked] = await Promise.all([
        countRetryAll(deps.db, reason),
        deps.registry.failure(reason).getJobCountByTypes("failed"),
      ]);
      return page(
        c,
        `Retry all ${reason}`,
        html`<p>Dry run: <strong data-testid="dry-run-count">${open}</strong> open ${text(reason)} failure(s) would be retried
(${parked} parked in <a href="/queues/queue/${failureQueueName(reason)}?status=failed">${failureQueueName(reason)}</a>).
Each goes back to its own queue; work that already succeeded is skipped.</p>
${
  open > 0 || parked > 0
    ? html`<form method="post" action="${CONSOLE_PATH}/retry-all">
<input type="hidden" name="reason" value="${reason}">
<label>Note (optional) <input name="note" maxlength="1000" size="50" placeholder="e.g. HubSpot recovered"></label>
<button type="submit">Confirm: retry ${open} failure(s)</button>
</form>`
    : html`<p class="muted">Nothing to retry.</p>`
}
<p><a href="${CONSOLE_PATH}">Cancel</a></p>`,
      );
    })
    .post("/retry-all", async (c) => {
      const form = await c.req.parseBody();
      const note = field(form, "note").slice(0, 1_000);
      try {
        const reason = reasonOf(field(form, "reason"));
        const retried = await retryAll(deps, c.get("actor"), reason, note || null);
        return c.redirect(afterPost(null, CONSOLE_PATH, { flash: `Retrying ${retried} ${reason} failure(s).` }), 303);
      } catch (err) {
        if (err instanceof AdminError) return c.redirect(afterPost(null, CONSOLE_PATH, { error: err.message }), 303);
        throw err;
      }
    });
}
