import { html } from "hono/html";
import { type Html, text } from "./page.ts";

/** One KPI as the console shows it; the KPI module (wired by the caller) computes these. */
export interface KpiView {
  key: string;
  label: string;
  value: number | null;
  unit: string;
  /** Null for a KPI judged against a baseline it does not have yet. */
  threshold: number | null;
  comparator: string;
  ok: boolean;
  /** ok, breached, or why it is not judged (no_data, low_sample, no_baseline). */
  status?: string;
  /** Why it is not judged, and where the value comes from. */
  note?: string | null;
  baseline?: number | null;
}

export type LoadKpis = () => Promise<KpiView[]>;

const number = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));
const amount = (n: number, unit: string) => `${number(n)} ${unit}`.trim();

const UNJUDGED: Record<string, string> = {
  no_data: "no data",
  low_sample: "too few to judge",
  no_baseline: "no baseline yet",
};

function statusCell(k: KpiView): Html {
  const status = k.status ?? (k.value === null ? "no_data" : k.ok ? "ok" : "breached");
  const badge =
    status === "ok"
      ? html`<span class="good">ok</span>`
      : status === "breached"
        ? html`<span class="bad">breached</span>`
        : html`<span class="muted">${UNJUDGED[status] ?? text(status)}</span>`;
  return k.note ? html`${badge}<br><small class="muted">${text(k.note)}</small>` : badge;
}

function target(k: KpiView): Html {
  const base = k.baseline === undefined || k.baseline === null ? "" : ` (baseline ${amount(k.baseline, k.unit)})`;
  if (k.threshold === null) return html`<span class="muted">7-day baseline + allowance</span>`;
  return html`${text(k.comparator)} ${amount(k.threshold, k.unit)}${text(base)}`;
}

export function kpiSection(kpis: KpiView[] | "not configured" | "unavailable"): Html {
  if (kpis === "not configured") return html`<p class="muted">KPIs not configured.</p>`;
  if (kpis === "unavailable") return html`<p class="bad">KPIs unavailable right now (see the admin log).</p>`;
  if (kpis.length === 0) return html`<p class="muted">No KPIs defined.</p>`;
  return html`<table>
<thead><tr><th>KPI</th><th>value</th><th>target</th><th>status</th></tr></thead>
<tbody>${kpis.map(
    (k) => html`<tr data-kpi="${text(k.key)}">
<td>${text(k.label)}</td>
<td class="num">${k.value === null ? "—" : text(amount(k.value, k.unit))}</td>
<td class="num">${target(k)}</td>
<td>${statusCell(k)}</td>
</tr>`,
  )}</tbody></table>`;
}
