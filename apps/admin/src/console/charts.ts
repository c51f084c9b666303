import type { ActivityPoint } from "@switchyard/db";
import { html } from "hono/html";
import { type Html, text } from "./page.ts";

const COLORS = ["#3b6fd8", "#e08a1e", "#2e9e57", "#b3261e", "#7b52c7", "#1c9aa8", "#c2417a", "#6b7a8f", "#9c8a12"];
const HEIGHT = 110;
const TOP = 8;
const BOTTOM = 18;
const LEFT = 34;

export interface ChartSpec {
  id: string;
  title: string;
  since: Date;
  bucketMs: number;
  buckets: number;
  points: ActivityPoint[];
  /** What the keys are ("source", "queue", "reason"). */
  keyName: string;
}

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/**
 * A stacked bar chart as inline SVG, drawn on the server: one bar per bucket, one segment per key.
 * Each segment carries its key, bucket start and count as data attributes, and a <title> that a
 * browser shows on hover; the legend gives each key's total.
 */
export function barChart(spec: ChartSpec): Html {
  const barWidth = Math.max(2, Math.floor(600 / spec.buckets));
  const width = LEFT + barWidth * spec.buckets + 4;
  const start = Math.floor(spec.since.getTime() / spec.bucketMs) * spec.bucketMs;
  const keys = [...new Set(spec.points.map((p) => p.key))].sort();
  const color = (key: string) => COLORS[keys.indexOf(key) % COLORS.length] ?? "#667";
  const perBucket = new Map<number, ActivityPoint[]>();
  for (const p of spec.points) perBucket.set(p.t, [...(perBucket.get(p.t) ?? []), p]);
  const max = Math.max(1, ...[...perBucket.values()].map((ps) => ps.reduce((sum, p) => sum + p.n, 0)));
  const plot = HEIGHT - TOP - BOTTOM;
  const totals = keys.map((k) => ({
    key: k,
    n: spec.points.filter((p) => p.key === k).reduce((sum, p) => sum + p.n, 0),
  }));
  const bars: Html[] = [];
  for (const [t, ps] of perBucket) {
    const i = Math.round((t - start) / spec.bucketMs);
    if (i < 0 || i >= spec.buckets) continue;
    let y = HEIGHT - BOTTOM;
    for (const p of [...ps].sort((a, b) => a.key.localeCompare(b.key))) {
      const h = Math.max(1, (p.n / max) * plot);
      y -= h;
      bars.push(
        html`<rect data-key="${text(p.key)}" data-t="${p.t}" data-n="${p.n}" x="${LEFT + i * barWidth}" y="${y.toFixed(1)}" width="${Math.max(1, barWidth - 1)}" height="${h.toFixed(1)}" fill="${color(p.key)}"><title>${text(p.key)}: ${p.n} at ${hhmm(p.t)} UTC</title></rect>`,
      );
    }
  }
  const end = start + spec.bucketMs * spec.buckets;
  return html`<figure data-chart="${spec.id}">
<figcaption><strong>${text(spec.title)}</strong> ${
    totals.length === 0
      ? html`<span class="muted">none</span>`
      : totals.map(
          (k) =>
            html`<span class="badge" data-legend="${text(k.key)}" data-total="${k.n}"><span style="color:${color(k.key)}">■</span> ${text(k.key)} ${k.n}</span> `,
        )
  }</figcaption>
<svg class="chart" role="img" aria-label="${text(spec.title)} by ${spec.keyName}" viewBox="0 0 ${width} ${HEIGHT}" width="${width}" height="${HEIGHT}" xmlns="http://www.w3.org/2000/svg">
<line x1="${LEFT}" y1="${HEIGHT - BOTTOM}" x2="${width}" y2="${HEIGHT - BOTTOM}" stroke="#99a"/>
<text x="${LEFT - 4}" y="${TOP + 8}" font-size="10" text-anchor="end" fill="#667">${max}</text>
<text x="${LEFT - 4}" y="${HEIGHT - BOTTOM}" font-size="10" text-anchor="end" fill="#667">0</text>
<text x="${LEFT}" y="${HEIGHT - 4}" font-size="10" fill="#667">${hhmm(start)} UTC</text>
<text x="${width - 2}" y="${HEIGHT - 4}" font-size="10" text-anchor="end" fill="#667">${hhmm(end)} UTC</text>
${bars}
</svg></figure>`;
}
