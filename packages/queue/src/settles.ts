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
  /** The settles waiting now, for the statement about to be sent to carry (Carry). */
  carry(): Carry;
}

interface Waiting {
  eventId: string;
  resolve: (settled: Settled | undefined) => void;
  reject: (err: unknown) => void;
}

/**
 * While statements that carry settles keep coming (a job's own asked for one this recently), a
 * settle waits this long for one of them before it is sent by itself.
 */
const CARRIER_SEEN_MS = 100;
const CARRY_WAIT_MS = 2;

/**
 * The settles of one process's jobs share statements: another job's statement carries them
 * (carry), or those asked for in the same turn of the event loop, and those asked for while one
 * is running, go in one statement of their own (settleEvents). Every settle is asked for after its
 * job's completion has committed, so the statement that carries it reads after that commit, as
 * ledger.ts requires. A batch that fails is tried again one by one, so one bad event fails only
 * its own job; a job waits for its settle before BullMQ hears of it, so a crash meanwhile re-runs
 * the job, which finds its delivery completed and settles then.
 */
export function batchedSettles(db: Db): Settles {
  let waiting: Waiting[] = [];
  let running = false;
  let scheduled: NodeJS.Timeout | NodeJS.Immediate | undefined;
  let carrierSeenAt = Number.NEGATIVE_INFINITY;

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
    if (running || scheduled) return;
    scheduled =
      performance.now() - carrierSeenAt < CARRIER_SEEN_MS
        ? setTimeout(() => void drain(), CARRY_WAIT_MS)
        : setImmediate(() => void drain());
  }

  return {
    settle(eventId) {
      return new Promise((resolve, reject) => {
        waiting.push({ eventId, resolve, reject });
        schedule();
      });
    },
    carry() {
      carrierSeenAt = performance.now();
      if (waiting.length === 0) return NO_CARRY;
      const batch = waiting;
      waiting = [];
      let answered = false;
      const sendAlone = () => {
        waiting.push(...batch);
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
  };
}
