import type { AuditRow, JourneyTimelineEntry } from "@switchyard/db";
import { html } from "hono/html";
import type { ConsumerView, EventJourney, JobView } from "../event-journey.ts";
import { CONSOLE_PATH, customerUrl, eventUrl, fullId, type Html, jobUrl, text, when } from "./page.ts";

const pretty = (value: unknown, max = 20_000) =>
  value === null || value === undefined ? "" : text(JSON.stringify(value, null, 2), max);

const duration = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? "" : ms < 1_000 ? `${ms} ms` : `${(ms / 1_000).toFixed(1)} s`;

function signature(e: EventJourney["event"]): Html {
  if (e.status === "rejected") return html`<span class="bad">refused</span> ${text(e.reason)}`;
  return e.source === "switchyard"
    ? html`<span class="muted">written by Switchyard itself</span>`
    : html`<span class="good">verified</span>`;
}

function attempts(job: JobView): Html {
  if (job.attempts.length === 0) return html`<span class="muted">not run yet (${text(job.state)})</span>`;
  return html`<ol class="attempts">${job.attempts.map(
    (a) =>
      html`<li data-attempt="${a.attempt}" data-outcome="${a.outcome}">${
        a.outcome === "failed"
          ? html`<span class="bad">failed</span>: <code>${text(a.error, 600)}</code>`
          : a.outcome === "completed"
            ? html`<span class="good">completed</span>`
            : html`running`
      }</li>`,
  )}</ol>`;
}

function consumerSection(c: ConsumerView): Html {
  const d = c.delivery;
  return html`<section data-consumer="${text(c.consumer)}">
<h3>${text(c.consumer)}</h3>
<p class="muted">${text(c.why)}</p>
<dl>
<dt>delivery</dt><dd data-testid="delivery-status">${
    d
      ? html`<span class="${d.status === "completed" ? "good" : ""}">${text(d.status)}</span>, ${d.attempts} run(s) started`
      : html`<span class="muted">not started</span>`
  }</dd>
${d ? html`<dt>started</dt><dd>${when(d.startedAt)}</dd><dt>completed</dt><dd>${when(d.completedAt)} ${duration(d.durationMs)}</dd>` : ""}
${d?.result !== undefined && d?.result !== null ? html`<dt>result</dt><dd><pre data-testid="result">${pretty(d.result, 4_000)}</pre></dd>` : ""}
</dl>
${
  c.jobs.length === 0
    ? html`<p class="muted">No job of it in Redis (finished jobs are kept 7 days).</p>`
    : html`<table><thead><tr><th>job (Bull Board)</th><th>state</th><th>attempts</th><th>ran</th></tr></thead><tbody>${c.jobs.map(
        (j) => html`<tr data-job="${text(j.id)}">
<td>${fullId(j.id, jobUrl(j.queue, j.id))}</td><td>${text(j.state)}</td><td>${attempts(j)}</td>
<td>${when(j.startedAt)}${j.durationMs !== null ? html`<br><span class="muted">last run ${duration(j.durationMs)}</span>` : ""}</td>
</tr>`,
      )}</tbody></table>`
}
</section>`;
}

function failuresTable(j: EventJourney): Html {
  if (j.failures.length === 0) return html`<p class="muted">No failures.</p>`;
  return html`<table data-testid="event-failures"><thead><tr><th>failure</th><th>queue / job</th><th>reason</th><th>status</th><th>parked</th><th>last error</th><th>updated</th></tr></thead>
<tbody>${j.failures.map(
    (f) => html`<tr data-failure="${f.id}">
<td>${fullId(f.id, `${CONSOLE_PATH}/failures?status=&event=${f.eventId ?? ""}`)}</td>
<td>${text(f.queue)}<br>${fullId(f.jobId, jobUrl(f.queue, f.jobId))}</td>
<td>${text(f.reason)}</td><td>${text(f.status)}${f.note ? html`<br><span class="muted">${text(f.note)}</span>` : ""}</td>
<td class="num">${f.occurrences}×</td><td><code>${text(f.lastError, 600)}</code></td><td>${when(f.updatedAt)}</td>
</tr>`,
  )}</tbody></table>`;
}

function timelineTable(entries: JourneyTimelineEntry[]): Html {
  if (entries.length === 0) return html`<p class="muted">It wrote nothing to a customer's timeline.</p>`;
  return html`<table><thead><tr><th>when</th><th>customer</th><th>what</th></tr></thead><tbody>${entries.map(
    (t) =>
      html`<tr><td>${when(t.at)}</td><td><a href="${customerUrl(t.customerId)}">${text(t.customerEmail ?? t.customerId)}</a></td><td>${text(t.summary)}</td></tr>`,
  )}</tbody></table>`;
}

function auditTable(rows: AuditRow[]): Html {
  if (rows.length === 0) return html`<p class="muted">No operator has acted on it.</p>`;
  return html`<table><thead><tr><th>when</th><th>who</th><th>what</th><th>why</th></tr></thead><tbody>${rows.map(
    (a) =>
      html`<tr><td>${when(a.createdAt)}</td><td>${text(a.actor)}</td><td>${text(a.action)}</td><td>${text(a.reason)}</td></tr>`,
  )}</tbody></table>`;
}

/** `/console/events/:id`: everything about one event, and its one action, Replay. */
export function eventView(j: EventJourney): Html {
  const e = j.event;
  const customers = [...new Map(j.timeline.map((t) => [t.customerId, t.customerEmail])).entries()];
  return html`<dl data-testid="event">
<dt>event id</dt><dd>${fullId(e.id)}</dd>
<dt>source</dt><dd>${text(e.source)}</dd>
<dt>provider's id</dt><dd>${fullId(e.sourceEventId)}</dd>
<dt>type</dt><dd>${text(e.type)}</dd>
<dt>received</dt><dd>${when(e.receivedAt)}</dd>
<dt>signature</dt><dd>${signature(e)}</dd>
<dt>status</dt><dd data-testid="event-status">${text(e.status)}${e.reason ? ` (${text(e.reason)})` : ""}</dd>
<dt>duplicates</dt><dd>${e.duplicates} repeat(s) of it were received and not recorded again</dd>
<dt>request id</dt><dd>${fullId(e.requestId)}</dd>
<dt>customer</dt><dd>${customers.length ? customers.map(([id, email]) => html`<a href="${customerUrl(id)}">${text(email ?? id)}</a> `) : html`<span class="muted">none recorded</span>`}</dd>
</dl>
${
  e.status === "rejected"
    ? ""
    : html`<form method="post" action="${eventUrl(e.id)}/replay">
<input type="hidden" name="back" value="${eventUrl(e.id)}">
<label>Reason <input name="reason" required minlength="3" maxlength="1000" size="40" placeholder="why replay (for the audit log)"></label>
<button type="submit">Replay</button> <span class="muted">Consumers that completed it skip it.</span>
</form>`
}
<h2>Routing</h2>
${
  e.queues.length
    ? html`<p>${e.queues.map((q) => html`<span class="badge">${text(q)}</span> `)} <span class="muted">(the queues whose job catalog handles ${text(e.type)})</span></p>`
    : html`<p class="muted">No queue handles ${text(e.type)}: recorded only.</p>`
}
<h2>Consumers</h2>
${j.consumers.length ? j.consumers.map(consumerSection) : html`<p class="muted">None.</p>`}
<h2>Failures</h2>
${failuresTable(j)}
<h2>Timeline entries it produced</h2>
${timelineTable(j.timeline)}
<h2>Operator actions</h2>
${auditTable(j.audit)}
<h2>Payload</h2>
<p class="muted">Configured secrets and fields named like secrets are redacted.</p>
<pre data-testid="payload">${pretty(e.payload ?? e.rawBody)}</pre>`;
}
