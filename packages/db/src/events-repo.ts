import { createHash } from "node:crypto";
import { and, eq, or, sql } from "drizzle-orm";
import { type Db, rowsOf } from "./client.ts";
import { events } from "./schema.ts";
import { uuid7 } from "./uuid7.ts";

export type EventRow = typeof events.$inferSelect;

export interface NewEvent {
  source: string;
  sourceEventId: string;
  type: string;
  payloadHash: string;
  payload?: unknown;
  rawBody?: string;
  status: "received" | "rejected" | "processed";
  reason?: string;
  queues: readonly string[];
  requestId?: string;
  receivedAt: Date;
}

export type RecordResult = { duplicate: false; event: EventRow } | { duplicate: true; event: EventRow };

/** Ids longer than this are stored by their hash: still unique, and within the index's row limit. */
const MAX_KEY = 200;
export const eventKey = (id: string) =>
  id.length <= MAX_KEY ? id : `sha256-${createHash("sha256").update(id).digest("hex")}`;

/** A rejected delivery lives in a key space of its own (the `rejected` column), part of its key. */
const keyOf = (e: { source: string; sourceEventId: string; rejected: boolean }) =>
  `${e.source}\u0000${e.rejected ? 1 : 0}\u0000${e.sourceEventId}`;

/**
 * Inserts once per (source, source_event_id), rejected deliveries apart; a repeat is counted on
 * the original row instead.
 */
export async function recordEvent(db: Db, raw: NewEvent): Promise<RecordResult> {
  const [result] = await recordEvents(db, [raw]);
  if (!result) throw new Error("recordEvents returned no result");
  return result;
}

/**
 * recordEvent for many events in two statements at most: one multi-row insert, and an update that
 * counts the repeats. Results come back in input order; a key repeated within the batch is inserted
 * once and counted as a duplicate after that.
 *
 * Not one transaction: the insert commits alone, so the usual batch (no repeats) costs one round
 * trip instead of three. Should counting the repeats then fail, the batch fails and its new rows
 * stay `received`, which the relay enqueues: later, but not lost.
 */
export async function recordEvents(db: Db, raws: readonly NewEvent[]): Promise<RecordResult[]> {
  const inputs = raws.map((raw) => ({
    ...raw,
    sourceEventId: eventKey(raw.sourceEventId),
    rejected: raw.status === "rejected",
  }));
  const first = new Map<string, (typeof inputs)[number]>();
  for (const input of inputs) if (!first.has(keyOf(input))) first.set(keyOf(input), input);
  // Sorted, so two batches holding the same keys take their index locks in one order: no deadlock.
  const candidates = [...first.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, e]) => e);
  // One statement text whatever the batch size, so it stays prepared and no per-row SQL is built;
  // the rows travel as one JSON text parameter (as text: PGlite would encode a jsonb one again).
  // Ids are drawn here, so the new rows are known without reading them back: the insert returns
  // only which ids it wrote, not every payload for the driver to parse again.
  const candidateRows = candidates.map(
    (e): EventRow => ({
      id: uuid7(),
      source: e.source,
      sourceEventId: e.sourceEventId,
      type: e.type,
      receivedAt: e.receivedAt,
      recordedAt: e.receivedAt,
      payload: e.payload ?? null,
      rawBody: e.rawBody ?? null,
      payloadHash: e.payloadHash,
      status: e.status,
      reason: e.reason ?? null,
      queues: [...e.queues],
      attempts: 0,
      duplicates: 0,
      requestId: e.requestId ?? null,
      rejected: e.rejected,
    }),
  );
  const rows = JSON.stringify(
    candidateRows.map((e) => ({
      id: e.id,
      source: e.source,
      source_event_id: e.sourceEventId,
      type: e.type,
      received_at: e.receivedAt.toISOString(),
      payload: e.payload,
      raw_body: e.rawBody,
      payload_hash: e.payloadHash,
      status: e.status,
      reason: e.reason,
      queues: e.queues,
      request_id: e.requestId,
    })),
  );
  // Plain SQL rather than drizzle's builder: ingest runs it for every batch, and building it was
  // a tenth of ingest's allocations. The time comes back as epoch ms, the same on either driver.
  const result = await db.execute(sql`
    insert into ${events} (id, source, source_event_id, type, received_at, recorded_at, payload, raw_body,
      payload_hash, status, reason, queues, attempts, duplicates, request_id, rejected)
    select u.id, u.source, u.source_event_id, u.type, u.received_at, now(), u.payload, u.raw_body,
      u.payload_hash, u.status, u.reason, u.queues, 0, 0, u.request_id, u.status = 'rejected'
    from jsonb_to_recordset(${rows}::text::jsonb) as u(id uuid, source text, source_event_id text, type text,
      received_at timestamptz, payload jsonb, raw_body text, payload_hash text, status text, reason text,
      queues text[], request_id text)
    on conflict (source, source_event_id, rejected) do nothing
    returning id::text as id, (extract(epoch from recorded_at) * 1000)::float8 as recorded_ms`);
  const recordedAt = new Map(
    rowsOf<{ id: string; recorded_ms: number | string }>(result).map((row) => [
      row.id,
      new Date(Number(row.recorded_ms)),
    ]),
  );
  const fresh = new Map<string, EventRow>();
  for (const row of candidateRows) {
    const at = recordedAt.get(row.id);
    if (at) fresh.set(keyOf(row), { ...row, recordedAt: at });
  }

  const repeats = new Map<string, number>();
  const isFresh = inputs.map((input) => first.get(keyOf(input)) === input && fresh.has(keyOf(input)));
  inputs.forEach((input, i) => {
    if (!isFresh[i]) repeats.set(keyOf(input), (repeats.get(keyOf(input)) ?? 0) + 1);
  });
  const originals = new Map<string, EventRow>();
  if (repeats.size > 0) {
    const keys = [...repeats.keys()].sort();
    const rows = await db
      .update(events)
      .set({
        duplicates: sql`${events.duplicates} + (case ${sql.join(
          keys.map((k) => {
            const [source, rejected, id] = k.split("\u0000");
            return sql`when ${events.source} = ${source} and ${events.sourceEventId} = ${id} and ${events.rejected} = ${rejected === "1"} then ${repeats.get(k)}::int`;
          }),
          sql` `,
        )} else 0 end)`,
      })
      .where(
        or(
          ...keys.map((k) => {
            const [source, rejected, id] = k.split("\u0000");
            return and(
              eq(events.source, source ?? ""),
              eq(events.sourceEventId, id ?? ""),
              eq(events.rejected, rejected === "1"),
            );
          }),
        ),
      )
      .returning();
    for (const row of rows) originals.set(keyOf(row), row);
  }

  return inputs.map((input, i) => {
    const key = keyOf(input);
    if (isFresh[i]) return { duplicate: false, event: fresh.get(key) as EventRow };
    const original = originals.get(key);
    if (!original) throw new Error(`event ${input.source}/${input.sourceEventId} conflicted but cannot be read`);
    return { duplicate: true, event: original };
  });
}

/** As one JSON parameter, so the statement's text (and its prepared plan) fits any count of ids. */
const anyId = (ids: readonly string[]) =>
  // `= any(array(...))`, not `in (select ...)`: the array is built once and the primary key is
  // probed for each id, where a semi-join would scan every `received` row.
  sql`${events.id} = any(array(select jsonb_array_elements_text(${JSON.stringify(ids)}::text::jsonb)::uuid))`;

export async function noteEnqueueFailures(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(events)
    .set({ attempts: sql`${events.attempts} + 1` })
    .where(anyId(ids));
}

export async function getEvent(db: Db, id: string): Promise<EventRow | undefined> {
  const [row] = await db.select().from(events).where(eq(events.id, id));
  return row;
}
