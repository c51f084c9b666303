import { JOB_CATALOG, WORK_QUEUES } from "@switchyard/events";
import { type SQL, sql } from "drizzle-orm";
import { type Db, rowsOf } from "./client.ts";
import { deliveries, events, failures } from "./schema.ts";

/** One bar's worth: `n` of `key` (a source, queue or reason) in the bucket starting at `t` (epoch ms). */
export interface ActivityPoint {
  key: string;
  t: number;
  n: number;
}

export interface Activity {
  since: Date;
  until: Date;
  bucketMs: number;
  /** Events recorded, by source. */
  received: ActivityPoint[];
  /** Deliveries completed, by work queue. */
  completed: ActivityPoint[];
  /** Failures recorded (a job parked once counts once), by work queue and by reason. */
  failedByQueue: ActivityPoint[];
  failedByReason: ActivityPoint[];
}

/**
 * The lowest UUIDv7 of a millisecond: every event recorded from then on has an id at or above it,
 * so the primary key narrows a time window without an index on the time itself.
 */
export function uuid7Floor(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

/** A job finishing this long after its event was recorded is not in the completed counts. */
export const COMPLETION_HORIZON_MS = 24 * 3600_000;

/** Every consumer name (`<queue>/<job name>`) a delivery can carry, so the ledger's key is used. */
const CONSUMERS = WORK_QUEUES.flatMap((q) => Object.keys(JOB_CATALOG[q].jobs).map((name) => `${q}/${name}`));

/**
 * What happened per bucket over [since, until): events recorded, deliveries completed, failures
 * recorded. From Postgres (Switchyard's record), not BullMQ's metrics: a job parked in
 * `failed.<reason>` is one failure, not also a failed job of its work queue.
 */
export async function activity(db: Db, window: { since: Date; until: Date; bucketMs: number }): Promise<Activity> {
  const { since, until, bucketMs } = window;
  const bucket = (column: SQL) =>
    sql`(floor(extract(epoch from ${column}) * 1000 / ${bucketMs}) * ${bucketMs})::float8`;
  const points = async (query: SQL) =>
    rowsOf<{ key: string; t: number | string; n: number | string }>(await db.execute(query)).map((r) => ({
      key: r.key,
      t: Number(r.t),
      n: Number(r.n),
    }));
  const inWindow = (column: SQL) =>
    sql`${column} >= ${since.toISOString()}::timestamptz and ${column} < ${until.toISOString()}::timestamptz`;
  // Ingest replicas' clocks differ a little: a minute of slack below the window's first id.
  const firstId = uuid7Floor(since.getTime() - 60_000);
  const firstDeliveryId = uuid7Floor(since.getTime() - COMPLETION_HORIZON_MS);
  const [received, completed, failedByQueue, failedByReason] = await Promise.all([
    points(sql`select e.source as key, ${bucket(sql`e.received_at`)} as t, count(*)::int as n
      from ${events} e where e.id >= ${firstId}::uuid and ${inWindow(sql`e.received_at`)}
      group by 1, 2`),
    points(sql`select split_part(d.consumer, '/', 1) as key, ${bucket(sql`d.completed_at`)} as t, count(*)::int as n
      from ${deliveries} d
      where d.consumer in (${sql.join(
        CONSUMERS.map((c) => sql`${c}`),
        sql`, `,
      )}) and d.event_id >= ${firstDeliveryId}::uuid and d.status = 'completed' and ${inWindow(sql`d.completed_at`)}
      group by 1, 2`),
    points(sql`select f.queue as key, ${bucket(sql`f.created_at`)} as t, count(*)::int as n
      from ${failures} f where ${inWindow(sql`f.created_at`)} group by 1, 2`),
    points(sql`select f.reason as key, ${bucket(sql`f.created_at`)} as t, count(*)::int as n
      from ${failures} f where ${inWindow(sql`f.created_at`)} group by 1, 2`),
  ]);
  return { since, until, bucketMs, received, completed, failedByQueue, failedByReason };
}
