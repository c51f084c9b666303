import { getReconcileCursor } from "@switchyard/db";
import { html } from "hono/html";
import type { AdminDeps } from "../env-types.ts";
import { type Html, text } from "./page.ts";

const when = (d: Date | null | undefined) => (d ? text(d.toISOString().replace(/\.\d{3}Z$/, "Z")) : "—");

/** One line on the overview: where the Stripe reconcile stands (the cursor in Postgres). */
export async function reconcileLine(deps: AdminDeps): Promise<Html> {
  const { config } = deps;
  if (!config.STRIPE_SECRET_KEY)
    return html`<p class="muted" data-testid="reconcile">Off: set STRIPE_SECRET_KEY to backfill webhooks Stripe never delivered.</p>`;
  const every =
    config.RECONCILE_INTERVAL_MS > 0
      ? `every ${Math.round(config.RECONCILE_INTERVAL_MS / 60_000)} min`
      : "by hand only (RECONCILE_INTERVAL_MS=0)";
  const c = await getReconcileCursor(deps.db, "stripe");
  if (!c) return html`<p class="muted" data-testid="reconcile">Not run yet (${every}; ./sy reconcile by hand).</p>`;
  const running = c.runId
    ? html` Run in progress since ${when(c.runStartedAt)} (window ${when(c.runFrom)} to ${when(c.runTo)}, ${c.runPhase === "failed" ? "failed deliveries first" : "all events"}): ${c.runSeen} listed, ${c.runBackfilled} backfilled so far.`
    : "";
  const last =
    c.lastRunAt === null
      ? html`No run completed yet.`
      : html`Last run ${when(c.lastRunAt)}: ${c.lastRunSeen ?? 0} Stripe event(s) listed, <strong>${c.lastRunBackfilled ?? 0} backfilled</strong>; reconciled up to ${when(c.reconciledUntil)}.`;
  const error = c.lastError
    ? html` <span class="bad">Last stop: ${text(c.lastError, 200)} (the next run resumes).</span>`
    : "";
  return html`<p data-testid="reconcile">${last}${running}${error} <span class="muted">(${every})</span></p>`;
}
