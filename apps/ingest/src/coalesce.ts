export interface CoalesceOptions {
  /** Most items one call of `run` receives. */
  maxBatch: number;
  /** Most calls of `run` in flight; further items wait and so form larger batches. */
  maxInFlight: number;
  /**
   * With a call already in flight, another starts only once this many items wait (default 1).
   * Fewer wait for a call to finish and go together: at a low rate each item would otherwise take
   * a call of its own, and under load the calls still overlap.
   */
  overlapAt?: number;
  /**
   * When a batch of several fails with an error this accepts, run each item alone, so one item
   * the database refuses cannot fail the requests that merely shared its round trip.
   */
  isolateFailures?: (err: unknown) => boolean;
  /**
   * A bound on the first stage of `run` (up to `stage.lift()`), counted from when each item was
   * asked for: an item not through it `ms` after that is rejected with `expired()`'s error, whether
   * its call is slow or it is still waiting for one. `waited` says it never reached a call. A call
   * past its deadline still finishes (its outcome is dropped) and keeps its slot until then, so a
   * stalled dependency never holds more than maxInFlight calls. Time spent waiting only behind
   * lifted calls (a later stage, bounded by its own deadline) does not count.
   */
  deadline?: { ms: number; expired: (items: number, waited: boolean) => unknown };
}

/** Handed to each call of `run`. */
export interface Stage {
  /** The bounded part is done: the deadline no longer applies to this call's items. */
  lift(): void;
  /** The deadline passed first: the call's items were already answered with `expired()`'s error. */
  readonly expired: boolean;
}

type Pending<I, O> = {
  item: I;
  resolve: (out: O) => void;
  reject: (err: unknown) => void;
  /** When the item was asked for, or when its clock restarted (see deadline). */
  at: number;
  settled: boolean;
};

const NO_STAGE: Stage = { lift() {}, expired: false };

/**
 * Turns a batch operation into a per-item one: items asked for in the same turn of the event loop
 * share one call of `run`. Concurrent requests then share a round trip (and a commit) instead of
 * queueing for pool connections one by one. `run` returns one output per item, in order.
 */
export function coalesce<I, O>(
  run: (items: I[], stage: Stage) => Promise<O[]>,
  opts: CoalesceOptions,
): (item: I) => Promise<O> {
  let waiting: Pending<I, O>[] = [];
  let scheduled = false;
  let inFlight = 0;
  // Calls in flight that have not lifted: while there are none, waiting is not the first stage's fault.
  let unlifted = 0;
  let sweepTimer: ReturnType<typeof setTimeout> | undefined;
  const deadline = opts.deadline;

  const resolveOne = (p: Pending<I, O>, out: O) => {
    if (p.settled) return;
    p.settled = true;
    p.resolve(out);
  };
  const rejectOne = (p: Pending<I, O>, err: unknown) => {
    if (p.settled) return;
    p.settled = true;
    p.reject(err);
  };

  const runChecked = async (items: I[], stage: Stage): Promise<O[]> => {
    const out = await run(items, stage);
    if (out.length !== items.length) throw new Error(`batch of ${items.length} returned ${out.length} results`);
    return out;
  };

  async function settle(batch: Pending<I, O>[]) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let lifted = !deadline;
    const stage = {
      expired: false,
      lift() {
        if (lifted) return;
        lifted = true;
        unlifted--;
        clearTimeout(timer);
      },
    };
    if (deadline) {
      unlifted++;
      let oldest = Number.POSITIVE_INFINITY;
      for (const p of batch) oldest = Math.min(oldest, p.at);
      timer = setTimeout(
        () => {
          stage.expired = true;
          const open = batch.filter((p) => !p.settled);
          if (open.length === 0) return;
          const err = deadline.expired(open.length, false);
          for (const p of open) rejectOne(p, err);
        },
        Math.max(0, oldest + deadline.ms - Date.now()),
      );
    }
    try {
      const out = await runChecked(
        batch.map((p) => p.item),
        stage,
      );
      for (const [i, p] of batch.entries()) resolveOne(p, out[i] as O);
    } catch (err) {
      if (!opts.isolateFailures?.(err) || batch.length === 1) {
        for (const p of batch) rejectOne(p, err);
        return;
      }
      // Alone, each item is still under the batch's deadline (a lift here is not the batch's).
      await Promise.all(
        batch.map((p) =>
          runChecked([p.item], NO_STAGE).then(
            ([out]) => resolveOne(p, out as O),
            (e: unknown) => rejectOne(p, e),
          ),
        ),
      );
    } finally {
      stage.lift();
    }
  }

  /** Rejects the items that waited past the deadline behind calls still in their first stage. */
  function sweep() {
    sweepTimer = undefined;
    if (!deadline) return;
    const now = Date.now();
    const due = (p: Pending<I, O>) => p.at + deadline.ms <= now;
    if (unlifted === 0) {
      // Held up only by later stages: the first stage's clock starts again.
      for (const p of waiting) if (due(p)) p.at = now;
    } else if (waiting.some(due)) {
      const expired = waiting.filter(due);
      waiting = waiting.filter((p) => !due(p));
      const err = deadline.expired(expired.length, true);
      for (const p of expired) rejectOne(p, err);
    }
    armSweep();
  }

  function armSweep() {
    if (!deadline || sweepTimer || waiting.length === 0) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const p of waiting) oldest = Math.min(oldest, p.at);
    sweepTimer = setTimeout(sweep, Math.max(0, oldest + deadline.ms - Date.now()));
    // Items still waiting hold the process anyway; an empty sweep must not.
    sweepTimer.unref();
  }

  function flush() {
    scheduled = false;
    while (waiting.length > 0 && inFlight < opts.maxInFlight) {
      if (inFlight > 0 && waiting.length < (opts.overlapAt ?? 1)) break;
      const batch = waiting.slice(0, opts.maxBatch);
      waiting = waiting.slice(opts.maxBatch);
      inFlight++;
      void settle(batch).finally(() => {
        inFlight--;
        if (waiting.length > 0) schedule();
      });
    }
    armSweep();
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject, at: deadline ? Date.now() : 0, settled: false });
      schedule();
    });
}
