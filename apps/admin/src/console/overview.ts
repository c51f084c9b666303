import { inArray, schema, sql } from "@switchyard/db";
import { failureQueueName, isReasonCode, isWorkQueue, type ReasonCode } from "@switchyard/events";
import { failingNow, keyPrefix } from "@switchyard/queue";
import { Hono } from "hono";
import { html } from "hono/html";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { AdminError } from "../errors.ts";
import { countRetryAll, openFailuresByReason, retryAll } from "../operations.ts";
import { inspectWork } from "../stuck-checker.ts";
import { activitySection, windowOf } from "./activity.ts";
import { healthSection } from "./health.ts";
import { type KpiView, kpiSection } from "./kpis.ts";
import { afterPost, CONSOLE_PATH, field, type Html, page, text } from "./page.ts";
import { reconcileLine } from "./reconcile.ts";

const STATES = ["waiting", "active", "delayed", "prioritized", "failed", "completed"] as const;

type Depth = { name: string; counts: Record<string, number> };

/**
 * Each queue's job counts. A work queue's failed jobs that Switchyard parked (an open or discarded
 * failure: the job stays failed in BullMQ) are counted in their failure queue, not here again.
 */
async function queueDepths(deps: AdminDeps): Promise<{ work: Depth[]; failure: Depth[] }> {
  const { failures } = schema;
  const [work, failure, parkedRows] = await Promise.all([
    Promise.all(deps.registry.all().map(async (q) => ({ name: q.name, counts: await q.getJobCounts(...STATES) }))),
    Promise.all(deps.registry.failures().map(async (q) => ({ name: q.name, counts: await q.getJobCounts(...STATES) }))),
    deps.db
      .select({ queue: failures.queue, n: sql<number>`count(*)::int` })
      .from(failures)
      .where(inArray(failures.status, ["open", "discarded"]))
      .groupBy(failures.queue),
  ]);
  const parked = new Map(parkedRows.map((r) => [r.queue, Number(r.n)]));
  for (const q of work) {
    if (isWorkQueue(q.name)) q.counts.failed = Math.max(0, (q.counts.failed ?? 0) - (parked.get(q.name) ?? 0));
  }
  return { work, failure };
}

function depthTable(rows: Depth[], failedLabel: string): Html {
  return html`<table>
<thead><tr><th>queue</th>${STATES.map((s) => html`<th>${s === "failed" ? failedLabel : s}</th>`)}</tr></thead>
<tbody>${rows.map(
    (q) => html`<tr data-queue="${q.name}">
<td><a href="/queues/queue/${encodeURIComponent(q.name)}">${q.name}</a></td>
${STATES.map((s) => html`<td class="num">${q.counts[s] ?? 0}</td>`)}
</tr>`,
  )}</tbody></table>`;
}

/** Failure queues holding something, then the empty ones folded away. */
function failureQueues(rows: Depth[]): Html {
  const used = rows.filter((q) => STATES.some((s) => (q.counts[s] ?? 0) > 0));
  const empty = rows.filter((q) => !used.includes(q));
  return html`${used.length ? depthTable(used, "failed") : html`<p class="muted">Every failure queue is empty.</p>`}
${empty.length ? html`<details><summary>${empty.length} empty failure queue(s)</summary>${depthTable(empty, "failed")}</details>` : ""}`;
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

async function unlessItFails<T>(deps: AdminDeps, what: string, load: () => Promise<T>): Promise<T | "unavailable"> {
  try {
    return await load();
  } catch (err) {
    deps.logger.error(`console could not load ${what}`, { err });
    return "unavailable";
  }
}

function reasonOf(value: string): ReasonCode {
  if (!isReasonCode(value)) throw new AdminError("invalid_request", `no failure reason ${value.slice(0, 40)}`);
  return value;
}

/** `/console`: what is failing or stuck, KPIs, open failures by reason with retry-all (dry run, then confirm), queue depths. */
export function overviewRoutes(deps: AdminDeps) {
  return new Hono<AdminEnv>()
    .get("/", async (c) => {
      const [depths, byReason, kpiViews, failing, work, glance, reconcile] = await Promise.all([
        queueDepths(deps),
        openFailuresByReason(deps.db),
        kpis(deps),
        unlessItFails(deps, "failing reasons", () => failingNow(deps.redis, keyPrefix(deps.config))),
        unlessItFails(deps, "stuck work", () => inspectWork(deps)),
        unlessItFails(deps, "activity", () => activitySection(deps, windowOf(c.req.query("window")))),
        unlessItFails(deps, "the Stripe reconcile", () => reconcileLine(deps)),
      ]);
      return page(
        c,
        "Overview",
        html`${healthSection(failing, work)}
<h2>Stripe reconcile</h2>
${reconcile === "unavailable" ? html`<p class="bad">Unavailable right now (see the admin log).</p>` : reconcile}
${glance === "unavailable" ? html`<p class="bad">Activity unavailable right now (see the admin log).</p>` : glance}
<h2>KPIs</h2>
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
${depthTable(depths.work, "failed, not parked")}
<h2>Failure queues</h2>
${failureQueues(depths.failure)}`,
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
