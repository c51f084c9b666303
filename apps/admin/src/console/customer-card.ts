import { type CustomerStatusView, customerStatus, openReviewCount, pageFailures } from "@switchyard/db";
import type { Customer } from "@switchyard/domain";
import { html } from "hono/html";
import type { AdminDeps } from "../env-types.ts";
import { CONSOLE_PATH, type Html, text, when } from "./page.ts";

export interface CardData {
  status: CustomerStatusView | undefined;
  openFailures: { total: number; capped: boolean };
  openReviews: number;
}

/** What the card needs beyond the customer row; the sync states exist for customers with an app user id. */
export async function loadCard(deps: AdminDeps, cu: Customer): Promise<CardData> {
  const [status, failures, reviews] = await Promise.all([
    cu.externalId ? customerStatus(deps.db, cu.externalId) : Promise.resolve(undefined),
    pageFailures(deps.db, { customer: cu.id, status: "open" }, { limit: 1 }),
    openReviewCount(deps.db, cu.id),
  ]);
  return { status, openFailures: { total: failures.total, capped: failures.capped }, openReviews: reviews };
}

const BADGE: Record<string, string> = { in_sync: "good", pending: "muted", failed: "bad" };

function syncBadges(status: CustomerStatusView | undefined): Html {
  if (!status) return html`<span class="muted">known for customers with an app user id</span>`;
  return html`${Object.entries(status.systems).map(
    ([system, s]) =>
      html`<span class="badge" data-system="${system}" data-state="${s.state}">${system}: <span class="${BADGE[s.state] ?? ""}">${s.state.replace("_", " ")}</span>${s.reason ? ` (${text(s.reason)})` : ""}${s.since ? html` since ${when(s.since)}` : ""}</span> `,
  )}`;
}

/** The customer page's opening: entitled, plan, each system's sync state, open failures, reviews, orders. */
export function statusCard(cu: Customer, card: CardData): Html {
  const failures = card.openFailures;
  const orders = card.status?.orders ?? [];
  return html`<dl data-testid="status-card">
<dt>entitled</dt><dd>${cu.entitled ? html`<span class="good">yes</span>` : html`<span class="bad">no</span>`}${cu.statusOverride ? html` <span class="badge">override: ${text(cu.statusOverride)}</span>` : ""}</dd>
<dt>plan</dt><dd>${text(cu.plan) || "none"} / ${text(cu.subscriptionStatus) || "no subscription"}</dd>
<dt>sync</dt><dd data-testid="sync">${syncBadges(card.status)}</dd>
<dt>open failures</dt><dd><a href="${CONSOLE_PATH}/failures?status=open&amp;customer=${encodeURIComponent(cu.id)}" data-testid="open-failures">${failures.capped ? `more than ${failures.total}` : failures.total}</a></dd>
<dt>open reviews</dt><dd data-testid="open-reviews">${card.openReviews}</dd>
${
  orders.length
    ? html`<dt>open orders</dt><dd>${orders.map((o) => html`<span class="badge">${text(o.orderId ?? "order")} ${text(o.state)}${o.amount !== null ? ` ${(o.amount / 100).toFixed(2)} ${text(o.currency).toUpperCase()}` : ""}</span> `)}</dd>`
    : ""
}
${card.status ? html`<dt>next step</dt><dd>${text(card.status.nextStep.message)}</dd>` : ""}
</dl>`;
}
