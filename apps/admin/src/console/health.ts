import type { FailingEpisode } from "@switchyard/queue";
import { html } from "hono/html";
import type { WorkReport } from "../stuck-checker.ts";
import { CONSOLE_PATH, type Html, text } from "./page.ts";

const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;
const at = (ms: number | undefined) => (ms === undefined ? "" : text(new Date(ms)));

/** What the alerts are about right now: reasons failing, and stuck work, each as its alert says it. */
export function healthSection(failing: FailingEpisode[] | "unavailable", work: WorkReport | "unavailable"): Html {
  return html`<h2>Failing now</h2>
${failingTable(failing)}
<h2>Stuck work</h2>
${stuckTable(work)}`;
}

function failingTable(failing: FailingEpisode[] | "unavailable"): Html {
  if (failing === "unavailable") return html`<p class="bad">Unavailable right now (see the admin log).</p>`;
  if (failing.length === 0) return html`<p class="muted">Nothing is failing.</p>`;
  return html`<table>
<thead><tr><th>reason</th><th>where</th><th>since</th><th>failed attempts</th><th>retrying</th><th>parked</th><th>last error</th><th>alerted</th></tr></thead>
<tbody>${failing.map(
    (e) => html`<tr data-failing="${text(e.reason)}">
<td><a href="${CONSOLE_PATH}/failures?reason=${encodeURIComponent(e.reason)}">${text(e.reason)}</a></td>
<td>${e.queues.map((q) => html`${text(q.queue)} (${text(q.provider)}) `)}</td>
<td>${at(e.since)}</td>
<td class="num">${e.failures}</td>
<td class="num">${e.retrying}</td>
<td class="num">${e.parked}</td>
<td><code>${text(e.error, 300)}</code></td>
<td>${e.alertedAt === undefined ? html`<span class="muted">not yet</span>` : at(e.alertedAt)}</td>
</tr>`,
  )}</tbody></table>`;
}

function stuckTable(work: WorkReport | "unavailable"): Html {
  if (work === "unavailable") return html`<p class="bad">Unavailable right now (see the admin log).</p>`;
  const rows: Html[] = [];
  for (const q of work.queues.filter((s) => s.stuck)) {
    const why = q.paused
      ? "paused"
      : q.rateLimitedMs > 0
        ? `rate-limited for ${seconds(q.rateLimitedMs)}`
        : q.workers === 0
          ? "no worker connected"
          : `${q.workers ?? "?"} worker(s), ${q.active} active, all blocked`;
    rows.push(html`<tr data-stuck="queue:${text(q.queue)}">
<td><a href="/queues/queue/${encodeURIComponent(q.queue)}?status=waiting">${text(q.queue)}</a></td>
<td>${q.waiting} job(s) waiting, none taken for ${seconds(q.untakenMs)}: ${why}</td></tr>`);
  }
  if (work.unrelayed)
    rows.push(html`<tr data-stuck="relay"><td>relay</td>
<td>${work.unrelayed.count} recorded event(s) not relayed to Redis, the oldest ${seconds(work.unrelayed.oldestMs)} old</td></tr>`);
  for (const r of work.retrying)
    rows.push(html`<tr data-stuck="retrying"><td><a href="/queues/queue/${encodeURIComponent(r.queue)}/${encodeURIComponent(r.jobId)}">${text(r.queue)} ${text(r.jobId)}</a></td>
<td>${text(r.jobName)} retrying for ${seconds(r.retryingMs)} (its schedule: ${seconds(r.scheduleMs)}), last reason ${text(r.reason)}, event ${text(r.eventId ?? "unknown")}</td></tr>`);
  if (rows.length === 0)
    return html`<p class="muted">Nothing is stuck: every queue with jobs waiting is taking them.</p>`;
  return html`<table><thead><tr><th>what</th><th>state</th></tr></thead><tbody>${rows}</tbody></table>`;
}
