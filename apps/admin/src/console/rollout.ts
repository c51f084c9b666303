import { ROLLOUT_NAMES, type Rollout, type RolloutMode, rolloutFromConfig } from "@switchyard/connectors";
import { recentShadowWrites, type ShadowTally, type ShadowWriteRow, shadowTallies } from "@switchyard/db";
import { WORK_QUEUES } from "@switchyard/events";
import { Hono } from "hono";
import { html } from "hono/html";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { CONSOLE_PATH, customerUrl, eventUrl, fullId, type Html, json, page, text, when } from "./page.ts";

const DAY_MS = 86_400_000;
const RECENT = 50;

const badge = (mode: RolloutMode) => html`<span class="${mode === "live" ? "ok" : "bad"}">${mode}</span>`;

function modesTable(rollout: Rollout, sources: readonly string[]): Html {
  const row = (kind: string, name: string) =>
    html`<tr data-mode="${text(name)}"><td>${kind}</td><td>${text(name)}</td>
<td>${badge(rollout.modes[name] ?? rollout.modes["*"] ?? "live")}</td></tr>`;
  return html`<table><thead><tr><th></th><th>name</th><th>mode</th></tr></thead><tbody>
${WORK_QUEUES.map((q) => row("queue", q))}
${sources.map((s) => row("source", s))}
</tbody></table>
<p class="muted">A job runs in the stricter of its queue's and its source's mode. In shadow,
${rollout.liveCustomers} allowed customer(s) and ${rollout.livePercent}% of the rest are live
(ROLLOUT_LIVE_CUSTOMERS, ROLLOUT_LIVE_PERCENT).</p>`;
}

function talliesTable(tallies: ShadowTally[]): Html {
  if (tallies.length === 0) return html`<p class="muted">Nothing was held back in the last 24 hours.</p>`;
  return html`<table><thead><tr><th>queue</th><th>provider</th><th>would have</th><th>times</th><th>last</th></tr></thead>
<tbody>${tallies.map(
    (
      t,
    ) => html`<tr data-tally="${text(`${t.queue}:${t.operation}`)}"><td>${text(t.queue)}</td><td>${text(t.provider)}</td>
<td>${text(t.operation)}</td><td class="num">${t.count}</td><td>${when(t.last)}</td></tr>`,
  )}</tbody></table>`;
}

function recentTable(rows: ShadowWriteRow[]): Html {
  if (rows.length === 0) return html`<p class="muted">No entries.</p>`;
  return html`<table><thead><tr><th>when</th><th>queue</th><th>source</th><th>would have</th><th>target</th><th>event</th><th>customer</th><th>what</th></tr></thead>
<tbody>${rows.map(
    (
      r,
    ) => html`<tr data-shadow="${r.id}"><td>${when(r.createdAt)}</td><td>${text(r.queue)}</td><td>${text(r.source)}</td>
<td>${text(r.provider)} ${text(r.operation)}</td><td>${text(r.target ?? "")}</td>
<td>${r.eventId ? fullId(r.eventId, eventUrl(r.eventId)) : ""}</td>
<td>${r.customerId ? fullId(r.customerId, customerUrl(r.customerId)) : ""}</td>
<td><code>${json(r.request, 300)}</code></td></tr>`,
  )}</tbody></table>`;
}

/** `/console/rollout`: each queue's and source's mode, and what shadow mode held back. */
export function rolloutRoutes(deps: AdminDeps) {
  const rollout = rolloutFromConfig(deps.config);
  const sources = ROLLOUT_NAMES.filter((n) => !(WORK_QUEUES as readonly string[]).includes(n));
  return new Hono<AdminEnv>().get("/rollout", async (c) => {
    const [tallies, recent] = await Promise.all([
      shadowTallies(deps.db, new Date(Date.now() - DAY_MS)),
      recentShadowWrites(deps.db, RECENT),
    ]);
    return page(
      c,
      "Rollout",
      html`<h2>Modes</h2>
${modesTable(rollout, sources)}
<h2>Would have written, last 24 hours</h2>
${talliesTable(tallies)}
<h2>Latest ${RECENT}</h2>
${recentTable(recent)}
<p class="muted">Set with ROLLOUT_MODES; see <code>docs/ROLLOUT.md</code>. <a href="${CONSOLE_PATH}">Back to the overview</a></p>`,
    );
  });
}
