import { pageTimeline, type TimelineRow } from "@switchyard/db";
import { type Customer, findCustomer } from "@switchyard/domain";
import { Hono } from "hono";
import { html } from "hono/html";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { AdminError } from "../errors.ts";
import { isUuid, overrideCustomer, replayEvent } from "../operations.ts";
import { reasonText } from "../routes/api-schemas.ts";
import { withCursor } from "../routes/list-query.ts";
import { type CardData, loadCard, statusCard } from "./customer-card.ts";
import { customerOrdersView, loadCustomerOrders } from "./customer-orders.ts";
import { afterPost, CONSOLE_PATH, eventUrl, field, fullId, type Html, json, page, text, when } from "./page.ts";
import { pager } from "./pager.ts";

const TIMELINE_PAGE = 100;

type Entry = TimelineRow;

/** Which system a timeline line comes from, so billing, CRM and support read as one story. */
const AREA: Record<Entry["kind"], string> = {
  event: "event",
  state_change: "billing",
  crm_sync: "CRM",
  support_note: "support",
  triage: "support",
  review: "support",
  override: "operator",
};

const customerUrl = (key: string) => `${CONSOLE_PATH}/customers?q=${encodeURIComponent(key)}`;

type TimelinePage = Awaited<ReturnType<typeof pageTimeline>>;

function searchForm(q: string): Html {
  return html`<form method="get" action="${CONSOLE_PATH}/customers">
<label>Email, customer id or app user id <input name="q" value="${q}" size="40" required autofocus></label>
<button type="submit">Find</button>
</form>`;
}

function details(e: Entry): Html | string {
  const d = e.details as { payment?: { amount?: unknown; currency?: unknown; transactionId?: unknown } } | null;
  const p = d && typeof d === "object" ? d.payment : undefined;
  if (p && typeof p.amount === "number") {
    return html`payment ${(p.amount / 100).toFixed(2)} ${text(p.currency).toUpperCase()} (${text(p.transactionId)})`;
  }
  if (e.details === null || e.details === undefined) return "";
  return html`<details><summary>details</summary><code>${json(e.details, 2_000)}</code></details>`;
}

function storyView(cu: Customer, card: CardData, timeline: TimelinePage, after: string): Html {
  const payment =
    cu.lastPaymentAmount !== null
      ? html`${(cu.lastPaymentAmount / 100).toFixed(2)} ${text(cu.lastPaymentCurrency).toUpperCase()} on ${when(cu.lastPaymentAt)} (${text(cu.lastPaymentTransactionId)})`
      : "none";
  const entries = timeline.rows;
  return html`${statusCard(cu, card)}
<dl data-testid="customer">
<dt>email</dt><dd>${text(cu.email)}</dd>
<dt>name</dt><dd>${text(cu.name)}</dd>
<dt>customer id</dt><dd>${fullId(cu.id)}</dd>
<dt>app user id</dt><dd>${text(cu.externalId)}</dd>
<dt>Stripe customer</dt><dd>${text(cu.stripeCustomerId)}</dd>
<dt>plan / status</dt><dd>${text(cu.plan) || "none"} / ${text(cu.subscriptionStatus) || "none"}</dd>
<dt>entitled</dt><dd>${cu.entitled ? html`<span class="good">yes</span>` : html`<span class="bad">no</span>`}</dd>
<dt>override</dt><dd data-testid="override">${cu.statusOverride ? html`<strong>${text(cu.statusOverride)}</strong> (set by an operator; billing does not clear it)` : "none"}</dd>
<dt>last payment</dt><dd>${payment}</dd>
<dt>failures</dt><dd><a href="${CONSOLE_PATH}/failures?status=&amp;customer=${encodeURIComponent(cu.id)}">this customer's failures</a></dd>
</dl>
<h2>Override entitlement</h2>
<form method="post" action="${CONSOLE_PATH}/customers/${cu.id}/override">
<select name="status" aria-label="override">
<option value="entitled">entitled</option>
<option value="not_entitled">not entitled</option>
<option value="none">clear the override</option>
</select>
<input name="reason" required minlength="3" maxlength="1000" size="40" placeholder="reason (required)" aria-label="reason for the override">
<button type="submit">Set override</button>
</form>
<h2>Timeline</h2>
${
  entries.length === 0
    ? html`<p class="muted">Nothing has happened to this customer yet.</p>`
    : html`${pager(`${CONSOLE_PATH}/customers`, { q: cu.id }, timeline, entries.length, after)}
<p class="muted">Newest first. Each event's page has its consumers, its failures and Replay.</p>
<table data-testid="timeline">
<thead><tr><th>when</th><th>area</th><th>what</th><th>details</th><th>event</th></tr></thead>
<tbody>${entries.map(
        (e) => html`<tr data-entry="${e.id}" data-kind="${e.kind}">
<td>${when(e.at)}</td><td>${AREA[e.kind] ?? text(e.kind)}</td><td>${text(e.summary)}</td><td>${details(e)}</td>
<td>${e.eventId ? fullId(e.eventId, eventUrl(e.eventId)) : ""}</td>
</tr>`,
      )}</tbody></table>
${pager(`${CONSOLE_PATH}/customers`, { q: cu.id }, timeline, entries.length, after)}`
}`;
}

/** `/console/customers`: find a customer, read one timeline, override entitlement, replay events. */
export function customerRoutes(deps: AdminDeps) {
  return new Hono<AdminEnv>()
    .get("/customers", async (c) => {
      const q = (c.req.query("q") ?? "").trim();
      if (!q) return page(c, "Customer", searchForm(""));
      try {
        const customer = await findCustomer(
          deps.db,
          isUuid(q) ? { id: q } : q.includes("@") ? { email: q } : { externalId: q },
        );
        if (!customer) throw new AdminError("not_found", `no customer ${q.slice(0, 80)}`);
        const after = c.req.query("after") ?? "";
        const [card, timeline, orders] = await Promise.all([
          loadCard(deps, customer),
          withCursor(() => pageTimeline(deps.db, customer.id, { after: after || undefined, limit: TIMELINE_PAGE })),
          loadCustomerOrders(deps, customer.id),
        ]);
        const story = storyView(customer, card, timeline, after);
        return page(c, "Customer", html`${searchForm(q)}${story}${customerOrdersView(orders, customer.id)}`);
      } catch (err) {
        if (!(err instanceof AdminError) || err.code !== "not_found") throw err;
        return page(c, "Customer", html`${searchForm(q)}<p class="bad">No customer matches “${text(q, 80)}”.</p>`, 404);
      }
    })
    .post("/customers/:id/override", async (c) => {
      const id = c.req.param("id");
      const form = await c.req.parseBody();
      const back = customerUrl(id);
      const chosen = field(form, "status");
      const status = chosen === "entitled" || chosen === "not_entitled" ? chosen : null;
      const reason = reasonText.safeParse(field(form, "reason"));
      if (!reason.success || !["entitled", "not_entitled", "none"].includes(chosen)) {
        return c.redirect(
          afterPost(back, back, { error: "An override needs a status and a reason (a few words)." }),
          303,
        );
      }
      try {
        await overrideCustomer(deps, c.get("actor"), id, status, reason.data);
      } catch (err) {
        if (err instanceof AdminError) return c.redirect(afterPost(back, back, { error: err.message }), 303);
        throw err;
      }
      return c.redirect(afterPost(back, back, { flash: `Override set to ${status ?? "none"}.` }), 303);
    })
    .post("/events/:id/replay", async (c) => {
      const form = await c.req.parseBody();
      const back = field(form, "back");
      const reason = reasonText.safeParse(field(form, "reason"));
      if (!reason.success) {
        return c.redirect(afterPost(back, CONSOLE_PATH, { error: "A replay needs a reason (a few words)." }), 303);
      }
      try {
        const done = await replayEvent(deps, c.get("actor"), c.req.param("id"), reason.data);
        const to = done.queues.length ? done.queues.join(", ") : "no queue";
        return c.redirect(afterPost(back, CONSOLE_PATH, { flash: `Replayed event ${done.eventId} to ${to}.` }), 303);
      } catch (err) {
        if (err instanceof AdminError) return c.redirect(afterPost(back, CONSOLE_PATH, { error: err.message }), 303);
        throw err;
      }
    });
}
