import { activity } from "@switchyard/db";
import { html } from "hono/html";
import type { AdminDeps } from "../env-types.ts";
import { barChart } from "./charts.ts";
import { CONSOLE_PATH, type Html } from "./page.ts";

/** The overview's two windows: the last hour by minute, the last 24 hours by 10 minutes. */
export const WINDOWS = {
  "1h": { label: "the last hour", spanMs: 3_600_000, bucketMs: 60_000, per: "per minute" },
  "24h": { label: "the last 24 hours", spanMs: 24 * 3_600_000, bucketMs: 600_000, per: "per 10 minutes" },
} as const;
export type WindowName = keyof typeof WINDOWS;

export const windowOf = (value: string | undefined): WindowName => (value === "24h" ? "24h" : "1h");

/** "The day at a glance": Switchyard's own counts from Postgres, drawn as SVG. */
export async function activitySection(deps: AdminDeps, name: WindowName, now = Date.now()): Promise<Html> {
  const w = WINDOWS[name];
  // Whole buckets: the window ends with the current (partial) one.
  const until = new Date((Math.floor(now / w.bucketMs) + 1) * w.bucketMs);
  const since = new Date(until.getTime() - w.spanMs);
  const a = await activity(deps.db, { since, until, bucketMs: w.bucketMs });
  const buckets = w.spanMs / w.bucketMs;
  const chart = (id: string, title: string, points: typeof a.received, keyName: string) =>
    barChart({ id, title: `${title} ${w.per}`, since, bucketMs: w.bucketMs, buckets, points, keyName });
  const other = name === "1h" ? "24h" : "1h";
  return html`<h2>At a glance: ${w.label}</h2>
<p class="muted" data-window="${name}" data-since="${since.toISOString()}" data-until="${until.toISOString()}">
From Switchyard's records (a job parked in a failure queue counts once, as a failure). <a href="${CONSOLE_PATH}?window=${other}">Show ${WINDOWS[other].label}</a></p>
${chart("received", "Events received", a.received, "source")}
${chart("completed", "Jobs completed", a.completed, "queue")}
${chart("failed", "Jobs failed", a.failedByQueue, "queue")}
${chart("reasons", "Failures", a.failedByReason, "reason")}`;
}
