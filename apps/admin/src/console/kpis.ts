import { html } from "hono/html";
import { type Html, text } from "./page.ts";

/** One KPI as the console shows it; the KPI module (wired by the caller) computes these. */
export interface KpiView {
  key: string;
  label: string;
  value: number | null;
  unit: string;
  threshold: number;
  comparator: string;
  ok: boolean;
}

export type LoadKpis = () => Promise<KpiView[]>;

const number = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

export function kpiSection(kpis: KpiView[] | "not configured" | "unavailable"): Html {
  if (kpis === "not configured") return html`<p class="muted">KPIs not configured.</p>`;
  if (kpis === "unavailable") return html`<p class="bad">KPIs unavailable right now (see the admin log).</p>`;
  if (kpis.length === 0) return html`<p class="muted">No KPIs defined.</p>`;
  return html`<table>
<thead><tr><th>KPI</th><th>value</th><th>target</th><th>status</th></tr></thead>
<tbody>${kpis.map(
    (k) => html`<tr data-kpi="${text(k.key)}">
<td>${text(k.label)}</td>
<td class="num">${k.value === null ? "—" : `${number(k.value)} ${text(k.unit)}`}</td>
<td class="num">${text(k.comparator)} ${number(k.threshold)} ${text(k.unit)}</td>
<td>${k.value === null ? html`<span class="muted">no data</span>` : k.ok ? html`<span class="good">ok</span>` : html`<span class="bad">breached</span>`}</td>
</tr>`,
  )}</tbody></table>`;
}
