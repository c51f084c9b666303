import type { Logger } from "@switchyard/config";
import { type Db, isDatabaseUnavailable, type NewEvent, type RecordResult, recordEvents } from "@switchyard/db";
import { type Dispatcher, QueueUnavailableError } from "@switchyard/queue";
import { coalesce, type Stage } from "./coalesce.ts";
import { ApiError, RETRY_AFTER_SECONDS } from "./errors.ts";

/**
 * A recorded event; `queueError` when it was new and routed but its jobs could not be added. Its
 * row then stays `received` for the relay (nothing is written back on success either).
 */
export type Submitted = RecordResult & { queueError?: QueueUnavailableError };

/** Record and enqueue, shared by every request in flight: see coalesce(). */
export interface Pipeline {
  /** Records the event and, when it is new and routed, resolves once its jobs are in Redis. */
  submit(event: NewEvent): Promise<Submitted>;
}

// Bodies may reach 1 MiB each: this caps one statement's parameter at 64 MiB. Under load a turn
// of the event loop gathers far fewer.
const MAX_BATCH = 64;
// Batches in flight: the inserts stay well within the default pool of 10 connections.
const MAX_IN_FLIGHT = 3;
// A second batch goes out beside one in flight only with this many events for it. At a moderate
// steady rate a batch is in flight most of the time, and with every slot open nearly every event
// would get a round trip and a commit of its own; waiting for the one in flight lets them share
// one, which costs ingest and Postgres less CPU and shortens the tail. Saturated, batches still
// overlap: a single slot would leave the database idle between batches and cost throughput.
// Measurements: docs/PERFORMANCE.md.
const OVERLAP_AT = 8;

/**
 * Postgres refused a value (SQLSTATE class 22, data exception; 23, integrity; 54, a limit such as
 * an index row too large): one row's fault, worth retrying the batch row by row. A lost
 * connection or a timeout is everyone's: retrying each row alone would only multiply the load on
 * a database that is already struggling.
 */
function refusedData(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^(22|23|54)[0-9A-Z]{3}$/.test(code)) return true;
  }
  return false;
}

export interface PipelineDeps {
  db: Db;
  dispatcher: Dispatcher;
  /** One line per batch that could not be recorded; none when absent. */
  logger?: Logger;
  /**
   * How long an event may wait to be recorded (DATABASE_TIMEOUT_MS): past it the request answers
   * 503 database_unavailable, while the insert, if it was sent, finishes on its own (a row it
   * writes stays `received`, for the relay). Unbounded when absent.
   */
  timeoutMs?: number;
}

const unavailable = () =>
  new ApiError("database_unavailable", "the database is unavailable; nothing was recorded, retry later", {
    "retry-after": RETRY_AFTER_SECONDS,
  });

export function createPipeline(deps: PipelineDeps): Pipeline {
  const { logger } = deps;
  // Events that never reached the database are counted, and logged at most once a second.
  let unrecorded = 0;
  let flushing: ReturnType<typeof setTimeout> | undefined;
  const flushUnrecorded = () => {
    flushing = undefined;
    logger?.warn("database unavailable; events not recorded in time", { events: unrecorded });
    unrecorded = 0;
  };
  // One pass per batch: the bulk add goes out as soon as the insert returns, rather than after
  // every request has resumed and asked again, which was one more turn of a busy event loop.
  async function recordAndEnqueue(events: NewEvent[], stage: Stage): Promise<Submitted[]> {
    let results: RecordResult[];
    try {
      results = await recordEvents(deps.db, events);
    } catch (err) {
      // Tried again row by row by coalesce(); a row that fails alone is its own request's 500.
      if (events.length > 1 && refusedData(err)) throw err;
      // Once for the batch, whatever the number of requests waiting on it; never the parameters
      // (the logger leaves them out of a database error).
      const down = isDatabaseUnavailable(err);
      logger?.error(down ? "database unavailable; batch not recorded" : "batch not recorded", {
        events: events.length,
        answered: stage.expired ? "503 at the deadline" : down ? "503" : "500",
        err,
      });
      throw down ? unavailable() : new ApiError("internal_error", "internal error");
    }
    stage.lift();
    const fresh = results.filter((r) => !r.duplicate && r.event.status === "received").map((r) => r.event);
    if (fresh.length === 0) return results;
    try {
      await deps.dispatcher.enqueueMany(fresh);
      return results;
    } catch (err) {
      if (!(err instanceof QueueUnavailableError)) throw err;
      const failed = new Set(fresh);
      return results.map((r) => (failed.has(r.event) ? { ...r, queueError: err } : r));
    }
  }
  return {
    submit: coalesce(recordAndEnqueue, {
      maxBatch: MAX_BATCH,
      maxInFlight: MAX_IN_FLIGHT,
      overlapAt: OVERLAP_AT,
      isolateFailures: refusedData,
      ...(deps.timeoutMs
        ? {
            deadline: {
              ms: deps.timeoutMs,
              expired: (count: number, waited: boolean) => {
                // A batch past its deadline logs when it ends; these never reached the database.
                if (waited) {
                  unrecorded += count;
                  if (!flushing) flushing = setTimeout(flushUnrecorded, 1_000).unref();
                }
                return unavailable();
              },
            },
          }
        : {}),
    }),
  };
}
