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
}

type Pending<I, O> = { item: I; resolve: (out: O) => void; reject: (err: unknown) => void };

/**
 * Turns a batch operation into a per-item one: items asked for in the same turn of the event loop
 * share one call of `run`. Concurrent requests then share a round trip (and a commit) instead of
 * queueing for pool connections one by one. `run` returns one output per item, in order.
 */
export function coalesce<I, O>(run: (items: I[]) => Promise<O[]>, opts: CoalesceOptions): (item: I) => Promise<O> {
  let waiting: Pending<I, O>[] = [];
  let scheduled = false;
  let inFlight = 0;

  const runChecked = async (items: I[]): Promise<O[]> => {
    const out = await run(items);
    if (out.length !== items.length) throw new Error(`batch of ${items.length} returned ${out.length} results`);
    return out;
  };

  async function settle(batch: Pending<I, O>[]) {
    try {
      const out = await runChecked(batch.map((p) => p.item));
      for (const [i, p] of batch.entries()) p.resolve(out[i] as O);
    } catch (err) {
      if (!opts.isolateFailures?.(err) || batch.length === 1) {
        for (const p of batch) p.reject(err);
        return;
      }
      await Promise.all(
        batch.map((p) =>
          runChecked([p.item]).then(
            ([out]) => p.resolve(out as O),
            (e: unknown) => p.reject(e),
          ),
        ),
      );
    }
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
  }

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      schedule();
    });
}
