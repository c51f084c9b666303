import {
  type Carry,
  type Db,
  NO_CARRY,
  type Settled,
  type SettledRow,
  settledOf,
  settleEvent,
  settleEvents,
} from "@switchyard/db";

export interface Settles {
  /** settleEvent for an event whose completion (or failure) this process has committed. */
  settle(eventId: string): Promise<Settled | undefined>;
  /**
   * The same settle, not waited for: carried by the process's next statement that carries
   * settles, or sent within LATER_MS; tried again until it succeeds while the process runs.
   * `settled` hears of an event it made processed.
   */
  later(eventId: string, settled: (event: Settled) => void): void;
  /** The settles waiting now, for the statement about to be sent to carry (Carry). */
  carry(): Carry;
  /** Resolves once every later() settle has gone out, or after `ms`, whichever comes first. */
  flush(ms: number): Promise<void>;
}

interface Waiting {
  eventId: string;
  /** A job waits for it (settle), so it goes out in the next turn rather than LATER_MS. */
  awaited: boolean;
  resolve: (settled: Settled | undefined) => void;
  reject: (err: unknown) => void;
}

/** How long a settle nobody waits for stays for a statement to carry it before it is sent alone. */
const LATER_MS = 5;
/** After a failed attempt (Postgres away), a later() settle is tried again this long after, doubling to the cap. */
const RETRY_MS = 100;
const RETRY_CAP_MS = 5_000;

/**
 * The settles of one process's jobs share statements. Every settle is asked for after its job's
 * completion (or parked failure) has committed, so any statement sent from then on reads after
 * that commit, as ledger.ts requires: a job's own statement that carries it (carry), or one of
 * their own (settleEvents) for those asked for in the same turn of the event loop (within
 * LATER_MS for those nobody waits for) and while one is running. A batch that fails is tried
 * again one by one, so one bad event fails only its own settle.
 *
 * A job of an event shared with other queues does not wait for its settle (later): its effects
 * and completion have committed, and the settle only moves the event's status. A crash before it
 * goes out leaves the event `received` with nothing left pending, which the relay's recheck
 * settles (relay.ts); a graceful stop sends them first (flush).
 */
export function batchedSettles(db: Db): Settles {
  let waiting: Waiting[] = [];
  let running = false;
  let scheduled: { awaited: boolean; cancel: () => void } | undefined;
  let deferred = 0;
  let drained: (() => void)[] = [];

  async function one(w: Waiting): Promise<void> {
    try {
      w.resolve(await settleEvent(db, w.eventId));
    } catch (err) {
      w.reject(err);
    }
  }

  /** Each waiting job gets its event's outcome; two jobs of one event, reported settled once. */
  function answer(batch: readonly Waiting[], settled: Map<string, Settled>): void {
    for (const w of batch) {
      w.resolve(settled.get(w.eventId));
      settled.delete(w.eventId);
    }
  }

  async function drain(): Promise<void> {
    scheduled = undefined;
    running = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      if (batch.length === 1) {
        await one(batch[0] as Waiting);
        continue;
      }
      let settled: Map<string, Settled>;
      try {
        settled = await settleEvents(db, [...new Set(batch.map((w) => w.eventId))]);
      } catch {
        await Promise.all(batch.map(one));
        continue;
      }
      answer(batch, settled);
    }
    running = false;
  }

  function schedule(): void {
    if (running || waiting.length === 0) return;
    const awaited = waiting.some((w) => w.awaited);
    if (scheduled && (scheduled.awaited || !awaited)) return;
    scheduled?.cancel();
    if (awaited) {
      const immediate = setImmediate(() => void drain());
      scheduled = { awaited, cancel: () => clearImmediate(immediate) };
    } else {
      const timer = setTimeout(() => void drain(), LATER_MS);
      scheduled = { awaited, cancel: () => clearTimeout(timer) };
    }
  }

  function push(w: Waiting): void {
    waiting.push(w);
    schedule();
  }

  function settledLater(): void {
    deferred--;
    if (deferred > 0) return;
    for (const resolve of drained) resolve();
    drained = [];
  }

  return {
    settle(eventId) {
      return new Promise((resolve, reject) => push({ eventId, awaited: true, resolve, reject }));
    },
    later(eventId, settled) {
      deferred++;
      let retryMs = RETRY_MS;
      const attempt = (): void =>
        push({
          eventId,
          awaited: false,
          resolve: (event) => {
            settledLater();
            if (event) settled(event);
          },
          reject: () => {
            setTimeout(attempt, retryMs).unref();
            retryMs = Math.min(retryMs * 2, RETRY_CAP_MS);
          },
        });
      attempt();
    },
    carry() {
      if (waiting.length === 0) return NO_CARRY;
      const batch = waiting;
      waiting = [];
      scheduled?.cancel();
      scheduled = undefined;
      let answered = false;
      const sendAlone = () => {
        for (const w of batch) waiting.push(w);
        schedule();
      };
      return {
        ids: [...new Set(batch.map((w) => w.eventId))].sort().join(","),
        done(carried) {
          if (answered) return;
          answered = true;
          let rows: SettledRow[];
          try {
            // No row back (the statement's own answer was cut short): they are sent again.
            if (carried === null || carried === undefined) throw new Error("no carried column");
            rows = JSON.parse(carried) as SettledRow[];
          } catch {
            sendAlone();
            return;
          }
          answer(batch, settledOf(rows));
        },
        failed() {
          if (answered) return;
          answered = true;
          sendAlone();
        },
      };
    },
    flush(ms) {
      if (deferred === 0) return Promise.resolve();
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        drained.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
