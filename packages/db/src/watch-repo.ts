import { sql } from "drizzle-orm";
import { type Db, rowsOf } from "./client.ts";
import { events, failures, relayCursor } from "./schema.ts";

/** How many of these jobs still have a failure an operator has to act on (open, or being retried). */
export async function openFailuresAmong(db: Db, jobs: readonly { queue: string; jobId: string }[]): Promise<number> {
  if (jobs.length === 0) return 0;
  const result = await db.execute(sql`
    select count(*)::int as n from ${failures} f
    join jsonb_to_recordset(${JSON.stringify(jobs)}::jsonb) as k(queue text, "jobId" text)
      on f.queue = k.queue and f.job_id = k."jobId"
    where f.status in ('open', 'retrying')`);
  return rowsOf<{ n: number }>(result)[0]?.n ?? 0;
}

export interface Unrelayed {
  /** Rows counted, up to the cap. */
  count: number;
  /** Age of the oldest, by the database's clock. */
  oldestMs: number;
}

// Counting a backlog past this says nothing more, and costs a longer scan.
const COUNT_CAP = 10_000;

/**
 * `received` rows older than `olderThanMs` that the relay has not yet passed: their jobs may not be
 * in Redis, and nothing but the relay will add them. A row behind the relay's cursor had its jobs
 * in Redis when the relay looked; one still waiting there is the queues' business, not the relay's.
 * Walks the partial index on received rows, from the cursor on.
 */
export async function unrelayedEvents(db: Db, olderThanMs: number): Promise<Unrelayed | undefined> {
  const cursor = sql`(select checked_until from ${relayCursor} where name = 'events')`;
  const cursorId = sql`(select checked_id from ${relayCursor} where name = 'events')`;
  const result = await db.execute(sql`
    select count(*)::int as n,
      (extract(epoch from (now() - min(r.recorded_at))) * 1000)::float8 as oldest_ms
    from (
      select e.recorded_at from ${events} e
      where e.status = 'received'
        and (e.recorded_at, e.id) > (coalesce(${cursor}, '-infinity'),
          coalesce(${cursorId}, '00000000-0000-0000-0000-000000000000'::uuid))
        and e.recorded_at < now() - ${olderThanMs} * interval '1 millisecond'
      order by e.recorded_at, e.id
      limit ${COUNT_CAP}
    ) r`);
  const [row] = rowsOf<{ n: number; oldest_ms: number | null }>(result);
  if (!row || row.n === 0 || row.oldest_ms === null) return undefined;
  return { count: row.n, oldestMs: Math.round(Number(row.oldest_ms)) };
}
