import { createLogger } from "@switchyard/config";
import { eq, schema, sql } from "@switchyard/db";
import { defineWorker, startWorkers } from "@switchyard/queue";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminHarness, createAdminHarness } from "../testing/harness.ts";

/**
 * A scripted hour (and a few hours before it): minute m (0 = now) gets m % 4 Stripe events, m % 3
 * app events, one Zendesk event every 7th minute; billing-sync and crm-sync complete most of them
 * seconds later; a failure every 5th minute, by queue and reason. Ids are UUIDv7 of the moment.
 */
const script = sql`
  with moments as (
    select m, k, src, now() - m * interval '1 minute' - k * interval '1 second' as at
    from generate_series(0, 299) m,
      lateral (select k, 'stripe' as src from generate_series(1, m % 4) k
               union all select k, 'app' from generate_series(1, m % 3) k
               union all select 1, 'zendesk' where m % 7 = 0) s),
  ids as (
    select m, k, src, at, lpad(to_hex((extract(epoch from at) * 1000)::bigint), 12, '0') as h, md5(m || src || k) as r
    from moments)
  insert into events (id, source, source_event_id, type, received_at, recorded_at, payload_hash, status, queues)
  select (substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || substr(r, 1, 3) || '-8' || substr(r, 4, 3) || '-' || substr(r, 7, 12))::uuid,
    src, src || '-' || m || '-' || k,
    case src when 'stripe' then 'stripe.invoice.paid' when 'app' then 'app.user.signed_up' else 'zendesk.ticket.created' end,
    at, at, r, 'processed', '{}'
  from ids`;

const deliveries = sql`
  insert into deliveries (consumer, event_id, status, attempts, created_at, completed_at)
  select case e.source when 'stripe' then 'billing-sync/stripe.invoice.paid' when 'app' then 'crm-sync/app.user.signed_up'
    else 'support-context/zendesk.ticket.created' end,
    e.id, case when (e.source_event_id like '%-1') then 'completed' else 'started' end, 1, e.received_at,
    case when (e.source_event_id like '%-1') then e.received_at + interval '20 seconds' end
  from events e`;

const failures = sql`
  insert into failures (queue, job_name, job_id, reason, status, attempts, last_error, created_at, updated_at)
  select (array['crm-sync', 'billing-sync'])[1 + m % 2], 'x', 'scripted-' || m,
    (array['crm_timeout', 'rate_limited', 'auth_failed'])[1 + m % 3], 'open', 8, 'scripted',
    now() - m * interval '1 minute', now()
  from generate_series(0, 299, 5) m`;

type Bars = Map<string, number>;

/** Every bar segment of a chart: "key@t" → n, read from the drawn SVG's data attributes. */
function drawn(page: string, chart: string): Bars {
  const start = page.indexOf(`<figure data-chart="${chart}">`);
  const figure = page.slice(start, page.indexOf("</figure>", start));
  const bars: Bars = new Map();
  for (const m of figure.matchAll(/<rect data-key="([^"]+)" data-t="(\d+)" data-n="(\d+)"/g)) {
    const key = `${m[1]}@${m[2]}`;
    expect(bars.has(key), `${chart} draws ${key} once`).toBe(false);
    bars.set(key, Number(m[3]));
  }
  return bars;
}

describe("the overview's day at a glance", () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await createAdminHarness("console_activity");
    await h.dbHandle.db.execute(script);
    await h.dbHandle.db.execute(deliveries);
    await h.dbHandle.db.execute(failures);
  });
  afterAll(() => h?.close());

  /** Postgres's own count of `column` per bucket in the page's window, as "key@t" → n. */
  async function counted(
    from: string,
    key: string,
    column: string,
    window: { since: string; until: string; bucketMs: number },
  ) {
    const result = await h.dbHandle.db.execute(
      sql.raw(`select ${key} as key, (floor(extract(epoch from ${column}) * 1000 / ${window.bucketMs}) * ${window.bucketMs})::bigint as t,
        count(*)::int as n from ${from} and ${column} >= '${window.since}' and ${column} < '${window.until}' group by 1, 2`),
    );
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
      key: string;
      t: string;
      n: number;
    }[];
    return new Map(rows.map((r) => [`${r.key}@${r.t}`, Number(r.n)]));
  }

  for (const [name, bucketMs] of [
    ["1h", 60_000],
    ["24h", 600_000],
  ] as const) {
    it(`draws the ${name} window's bars with exactly the counts Postgres holds`, async () => {
      const res = await h.get(`/console?window=${name}`);
      expect(res.status).toBe(200);
      const page = await res.text();
      const since = /data-since="([^"]+)"/.exec(page)?.[1] ?? "";
      const until = /data-until="([^"]+)"/.exec(page)?.[1] ?? "";
      expect(new Date(until).getTime() - new Date(since).getTime()).toBe(name === "1h" ? 3_600_000 : 86_400_000);
      const w = { since, until, bucketMs };
      const received = await counted("events where true", "source", "received_at", w);
      const completed = await counted(
        "deliveries where status = 'completed'",
        "split_part(consumer, '/', 1)",
        "completed_at",
        w,
      );
      const byQueue = await counted("failures where true", "queue", "created_at", w);
      const byReason = await counted("failures where true", "reason", "created_at", w);
      expect(received.size).toBeGreaterThan(10);
      expect(completed.size).toBeGreaterThan(5);
      expect(byQueue.size).toBeGreaterThan(5);
      expect(drawn(page, "received")).toEqual(received);
      expect(drawn(page, "completed")).toEqual(completed);
      expect(drawn(page, "failed")).toEqual(byQueue);
      expect(drawn(page, "reasons")).toEqual(byReason);
      // The legend's totals are the bars' sums.
      const stripe = [...received].filter(([k]) => k.startsWith("stripe@")).reduce((s, [, n]) => s + n, 0);
      expect(page).toContain(`data-legend="stripe" data-total="${stripe}"`);
    });
  }

  it("draws four inline SVG charts, and the page allows only its own script", async () => {
    const res = await h.get("/console");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+';/);
    const page = await res.text();
    expect(page.match(/<svg class="chart"/g)?.length).toBe(4);
  });

  it("counts a job parked in failed.<reason> once: as a failure, not also as a failed job of its work queue", async () => {
    // The real worker runtime: a job that is not an event envelope fails for good and is parked.
    const workers = await startWorkers([defineWorker("crm-sync", () => ({}) as never)], {
      config: h.config,
      logger: createLogger({ name: "activity-test", level: "error", write: () => {} }),
      dbHandle: h.dbHandle,
    });
    const crm = h.registry.get("crm-sync");
    try {
      await crm.add("app.user.signed_up", { not: "an envelope" }, { jobId: "parked-once" });
      for (let i = 0; i < 400; i++) {
        const [row] = await h.dbHandle.db
          .select()
          .from(schema.failures)
          .where(eq(schema.failures.jobId, "parked-once"));
        if (row && (await crm.getJobCountByTypes("failed")) === 1) break;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await workers.close();
    }
    expect(await crm.getJobCountByTypes("failed")).toBe(1);
    const page = await (await h.get("/console")).text();
    const cells = (queue: string) =>
      [
        ...(new RegExp(`data-queue="${queue.replace(".", "\\.")}">([\\s\\S]*?)</tr>`).exec(page)?.[1] ?? "").matchAll(
          /<td class="num">(\d+)<\/td>/g,
        ),
      ].map((m) => Number(m[1]));
    // waiting, active, delayed, prioritized, failed (not parked), completed
    expect(cells("crm-sync")[4]).toBe(0);
    expect(page).toContain("<th>failed, not parked</th>");
    expect(cells("failed.invalid_payload").reduce((a, b) => a + b, 0)).toBe(1);
    const recent = [...drawn(page, "failed")].filter(([k]) => k.startsWith("crm-sync@"));
    expect(recent.reduce((sum, [, n]) => sum + n, 0)).toBeGreaterThanOrEqual(1);
  });
});
