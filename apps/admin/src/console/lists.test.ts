import { sql } from "@switchyard/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminHarness, createAdminHarness } from "../testing/harness.ts";

const EVENTS = 10_000;
const FAILURES = 1_000;
const AUDIT = 250;

/** Time-ordered ids as ingest writes them (UUIDv7), three to a millisecond so prefixes repeat. */
const seedEvents = sql`
  insert into events (id, source, source_event_id, type, received_at, payload_hash, status, queues)
  select (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || substr(m, 1, 3) || '-8' || substr(m, 4, 3) || '-' || substr(m, 7, 12))::uuid,
    (array['stripe', 'hubspot', 'zendesk', 'app'])[1 + g % 4], 'evt_seed_' || g,
    case when g < 1000 then 'seed.early' else 'seed.type' end,
    now() - interval '2 hours' + g * interval '1 millisecond', m, 'processed', '{}'
  from generate_series(0, ${EVENTS - 1}) g,
    lateral (select lpad(to_hex((extract(epoch from now()) * 1000)::bigint - 7200000 + g / 3), 12, '0') as h, md5(g::text) as m) x`;

/** Seven failures share each microsecond of updated_at: the cursor must keep the microseconds and break ties by id. */
const seedFailures = sql`
  insert into failures (queue, job_name, job_id, reason, status, attempts, last_error, created_at, updated_at)
  select 'crm-sync', 'app.user.signed_up', 'seed-' || g, 'crm_timeout', 'open', 8, 'crm_timeout: seeded',
    now() - interval '1 hour', timestamptz '2026-06-01 12:00:00.000001+00' + (g / 7) * interval '1 microsecond'
  from generate_series(0, ${FAILURES - 1}) g`;

const seedAudit = sql`
  insert into audit_log (actor, action, target, reason)
  select case when g % 5 = 0 then 'alice' else 'bob' end, case when g % 2 = 0 then 'failure.retry' else 'event.replay' end,
    'target-' || g, 'seeded'
  from generate_series(0, ${AUDIT - 1}) g`;

/** One customer with 250 timeline lines, five to each instant. */
const CUSTOMER = "01890a5d-ac96-774b-bcce-b302099a8057";
const seedTimeline = sql`
  with c as (insert into customers (id, email, external_id) values (${CUSTOMER}, 'paged@example.com', 'u-paged') returning id)
  insert into customer_timeline (customer_id, at, kind, summary, dedupe_key)
  select c.id, timestamptz '2026-06-01 12:00:00.000001+00' + (g / 5) * interval '1 microsecond', 'event', 'line ' || g, 'seed-' || g
  from c, generate_series(0, 249) g`;

describe("console and API lists page through everything", () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await createAdminHarness("console_lists");
    await h.dbHandle.db.execute(seedEvents);
    await h.dbHandle.db.execute(seedFailures);
    await h.dbHandle.db.execute(seedAudit);
    await h.dbHandle.db.execute(seedTimeline);
  });
  afterAll(() => h?.close());

  const all = async (table: "events" | "failures" | "audit_log" | "customer_timeline", where = sql`true`) => {
    const rows = await h.dbHandle.db.execute(sql`select id::text as id from ${sql.identifier(table)} where ${where}`);
    return (Array.isArray(rows) ? rows : (rows as { rows: { id: string }[] }).rows).map((r) => String(r.id));
  };

  /** Follows `next` from the first page to the last; every id seen, in order. */
  async function walkApi(path: string, key: "events" | "failures" | "entries") {
    const seen: string[] = [];
    let url: string | null = path;
    let pages = 0;
    while (url) {
      const res = await h.get(url);
      expect(res.status, url).toBe(200);
      const body = (await res.json()) as Record<string, unknown> & { next: string | null; total: number };
      seen.push(...(body[key] as { id: string | number }[]).map((r) => String(r.id)));
      url = body.next ? `${path}&after=${encodeURIComponent(body.next)}` : null;
      pages += 1;
    }
    return { seen, pages };
  }

  /** The same through the console: the rows' ids, then the page's Next link, until there is none. */
  async function walkConsole(path: string, attribute: string) {
    const seen: string[] = [];
    let url: string | null = path;
    let total = "";
    while (url) {
      const res = await h.get(url);
      expect(res.status, url).toBe(200);
      const page = await res.text();
      seen.push(...[...page.matchAll(new RegExp(`<tr ${attribute}="([^"]+)"`, "g"))].map((m) => m[1] ?? ""));
      total = /data-total="(\d+)"/.exec(page)?.[1] ?? "";
      const next = /<a rel="next" href="([^"]+)"/.exec(page)?.[1];
      url = next ? next.replace(/&amp;/g, "&") : null;
    }
    return { seen, total: Number(total) };
  }

  const expectExactly = (seen: string[], expected: string[]) => {
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...expected].sort());
  };

  it(`GET /api/events pages ${EVENTS} events, newest first, none missed or repeated`, async () => {
    const { seen, pages } = await walkApi("/api/events?limit=1000", "events");
    expect(pages).toBe(10);
    expectExactly(seen, await all("events"));
    expect(seen).toEqual([...seen].sort().reverse());
    const first = (await (await h.get("/api/events?limit=1")).json()) as { total: number; capped: boolean };
    expect(first).toMatchObject({ total: EVENTS, capped: false });
    const stripe = await walkApi("/api/events?source=stripe&limit=1000", "events");
    expectExactly(stripe.seen, await all("events", sql`source = 'stripe'`));
  });

  it("the console's events list pages with a count and Next links, filters kept", async () => {
    const { seen, total } = await walkConsole("/console/events?source=hubspot&type=seed.early", "data-event");
    expect(total).toBe(250);
    expectExactly(seen, await all("events", sql`source = 'hubspot' and type = 'seed.early'`));
  });

  it(`GET /api/failures and /console/failures page ${FAILURES} failures sharing timestamps, none missed or repeated`, async () => {
    const expected = await all("failures");
    const api = await walkApi("/api/failures?status=open&limit=100", "failures");
    expect(api.pages).toBe(10);
    expectExactly(api.seen, expected);
    const page = await walkConsole("/console/failures?status=", "data-failure");
    expect(page.total).toBe(FAILURES);
    expectExactly(page.seen, expected);
  });

  it("the audit page pages and filters by actor and action", async () => {
    const everything = await walkConsole("/console/audit", "data-audit");
    expect(everything.total).toBe(AUDIT);
    expectExactly(everything.seen, await all("audit_log"));
    const alice = await walkConsole("/console/audit?actor=alice&action=failure", "data-audit");
    expectExactly(alice.seen, await all("audit_log", sql`actor = 'alice' and action = 'failure.retry'`));
    const api = await walkApi("/api/audit?actor=bob&action=event.replay&limit=40", "entries");
    expectExactly(api.seen, await all("audit_log", sql`actor = 'bob' and action = 'event.replay'`));
  });

  it("a customer's timeline pages newest first with a count", async () => {
    const { seen, total } = await walkConsole(`/console/customers?q=${CUSTOMER}`, "data-entry");
    expect(total).toBe(250);
    expectExactly(seen, await all("customer_timeline"));
  });

  it("refuses a cursor it did not hand out, in the error shape", async () => {
    for (const path of ["/api/events?after=nope", "/api/failures?after=nope", "/api/audit?after=nope"]) {
      const res = await h.get(path);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
    }
  });
});
