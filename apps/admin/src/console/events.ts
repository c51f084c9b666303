import { type EventSummary, findEventsBySourceId, getEvent, getFailure, pageEvents } from "@switchyard/db";
import { findCustomer } from "@switchyard/domain";
import { Hono } from "hono";
import { html } from "hono/html";
import type { AdminDeps, AdminEnv } from "../env-types.ts";
import { AdminError } from "../errors.ts";
import { loadEventJourney } from "../event-journey.ts";
import { isUuid } from "../operations.ts";
import { EVENT_STATUSES } from "../routes/events.ts";
import { timeBound, withCursor } from "../routes/list-query.ts";
import { eventView } from "./event-page.ts";
import { CONSOLE_PATH, customerUrl, eventUrl, fullId, type Html, page, text, when } from "./page.ts";
import { pager } from "./pager.ts";

const EVENTS_PATH = `${CONSOLE_PATH}/events`;
const PAGE_SIZE = 50;

interface Filter {
  source: string;
  type: string;
  status: string;
  from: string;
  to: string;
}

function filterForm(f: Filter): Html {
  return html`<form method="get" action="${EVENTS_PATH}">
<label>source <input name="source" value="${f.source}" size="10" placeholder="stripe"></label>
<label>type <input name="type" value="${f.type}" size="28" placeholder="stripe.invoice.paid"></label>
<label>status <select name="status"><option value="">any</option>${EVENT_STATUSES.map(
    (s) => html`<option value="${s}" ${s === f.status ? "selected" : ""}>${s}</option>`,
  )}</select></label>
<label>from (UTC) <input name="from" value="${f.from}" size="18" placeholder="2026-01-31T09:00"></label>
<label>to (UTC) <input name="to" value="${f.to}" size="18" placeholder="2026-01-31T10:00"></label>
<button type="submit">Filter</button>
</form>`;
}

/** What to do when nothing has arrived yet: the curl of the Quick start, and where Stripe should post. */
function firstEvent(deps: AdminDeps): Html {
  const ingest = deps.config.INGEST_PUBLIC_URL ?? `http://127.0.0.1:${deps.config.INGEST_PORT}`;
  return html`<div data-testid="empty"><p>No events yet. Send one to ingest (an app key from <code>APP_API_KEYS</code>):</p>
<pre>curl -s ${text(ingest)}/v1/events -H 'authorization: Bearer &lt;app key&gt;' \\
  -H 'idempotency-key: signup-42' -H 'content-type: application/json' \\
  -d '{"type":"user.signed_up","data":{"userId":"42","email":"ada@example.com"}}'</pre>
<p>Point Stripe's webhook endpoint (or <code>stripe listen --forward-to</code>) at <code>${text(ingest)}/webhooks/stripe</code>
with its signing secret in <code>STRIPE_WEBHOOK_SECRET</code>.</p></div>`;
}

function table(rows: EventSummary[]): Html {
  return html`<table data-testid="events">
<thead><tr><th>received</th><th>source</th><th>type</th><th>provider's id</th><th>status</th><th>queues</th><th>event</th></tr></thead>
<tbody>${rows.map(
    (e) => html`<tr data-event="${e.id}">
<td>${when(e.receivedAt)}</td><td>${text(e.source)}</td><td>${text(e.type)}</td><td>${fullId(e.sourceEventId)}</td>
<td>${text(e.status)}${e.reason ? html`<br><span class="muted">${text(e.reason)}</span>` : ""}</td>
<td>${e.queues.map((q) => html`<span class="badge">${text(q)}</span> `)}</td>
<td>${fullId(e.id, eventUrl(e.id))}</td>
</tr>`,
  )}</tbody></table>`;
}

/** Where a search term leads: an event, a customer, a failure, or the list of several events. */
async function destination(deps: AdminDeps, q: string): Promise<string | EventSummary[] | undefined> {
  if (isUuid(q)) {
    if (await getEvent(deps.db, q)) return eventUrl(q);
    if (await findCustomer(deps.db, { id: q })) return customerUrl(q);
    const failure = await getFailure(deps.db, q);
    if (failure?.eventId) return eventUrl(failure.eventId);
    if (failure) return `${CONSOLE_PATH}/failures?status=&q=${encodeURIComponent(failure.jobId)}`;
  }
  if (q.includes("@")) return (await findCustomer(deps.db, { email: q })) ? customerUrl(q) : undefined;
  const byProvider = await findEventsBySourceId(deps.db, q);
  if (byProvider.length === 1 && byProvider[0]) return eventUrl(byProvider[0].id);
  if (byProvider.length > 1) return byProvider;
  if (await findCustomer(deps.db, { externalId: q })) return customerUrl(q);
  return undefined;
}

/** `/console/events` (filtered, paged), `/console/events/:id` (one event's journey), `/console/search`. */
export function eventRoutes(deps: AdminDeps) {
  return new Hono<AdminEnv>()
    .get("/events", async (c) => {
      const q = c.req.query();
      const filter: Filter = {
        source: (q.source ?? "").trim(),
        type: (q.type ?? "").trim(),
        status: q.status ?? "",
        from: (q.from ?? "").trim(),
        to: (q.to ?? "").trim(),
      };
      const after = q.after ?? "";
      // A time typed without a zone is UTC, as the labels say.
      const utc = (v: string) => (v && !/(Z|[+-]\d\d:?\d\d)$/.test(v) ? `${v}Z` : v);
      const result = await withCursor(() =>
        pageEvents(
          deps.db,
          {
            source: filter.source || undefined,
            type: filter.type || undefined,
            status: filter.status || undefined,
            from: timeBound(utc(filter.from), "from"),
            to: timeBound(utc(filter.to), "to"),
          },
          { after: after || undefined, limit: PAGE_SIZE },
        ),
      );
      const anyFilter = Object.values(filter).some((v) => v !== "");
      const body =
        result.total === 0 && !anyFilter && !after
          ? firstEvent(deps)
          : result.rows.length === 0
            ? html`<p class="muted">No events match. <a href="${EVENTS_PATH}">Clear the filters</a>.</p>`
            : html`${pager(EVENTS_PATH, { ...filter }, result, result.rows.length, after)}${table(result.rows)}${pager(EVENTS_PATH, { ...filter }, result, result.rows.length, after)}`;
      return page(c, "Events", html`${filterForm(filter)}${body}`);
    })
    .get("/events/:id", async (c) => {
      const journey = await loadEventJourney(deps, c.req.param("id"));
      return page(c, `Event ${journey.event.type}`, eventView(journey));
    })
    .get("/search", async (c) => {
      const q = (c.req.query("q") ?? "").trim();
      if (!q) return c.redirect(CONSOLE_PATH, 303);
      if (q.length > 500) throw new AdminError("invalid_request", "A search term is at most 500 characters.");
      const to = await destination(deps, q);
      if (typeof to === "string") return c.redirect(to, 303);
      if (to)
        return page(
          c,
          "Search",
          html`<p>${to.length} events carry the provider id <code>${text(q)}</code>:</p>${table(to)}`,
        );
      return page(
        c,
        "Search",
        html`<p class="bad">Nothing matches “${text(q, 80)}”.</p>
<p class="muted">Search takes an event id, a provider's event id (evt_…, a HubSpot eventId, a Zendesk id), a failure id, a customer email, id or app user id.</p>`,
        404,
      );
    });
}
