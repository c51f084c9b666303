import { type Db, type Settled, settleEvent, settleEvents } from "@switchyard/db";

export interface Settles {
  /** settleEvent for an event whose completion (or failure) this process has committed. */
  settle(eventId: string): Promise<Settled | undefined>;
}

interface Waiting {
  eventId: string;
  resolve: (settled: Settled | undefined) => void;
  reject: (err: unknown) => void;
}

/**
 * The settles of one process's jobs share statements: those asked for in the same turn of the
 * event loop, and those asked for while one is running, go in the next one (settleEvents). Every
 * settle is asked for after its job's completion has committed, so the statement that carries it
 * reads after that commit, as ledger.ts requires. A batch that fails is tried again one by one,
 * so one bad event fails only its own job; a job waits for its settle before BullMQ hears of it,
 * so a crash meanwhile re-runs the job, which finds its delivery completed and settles then.
 */
export function batchedSettles(db: Db): Settles {
  let waiting: Waiting[] = [];
  let running = false;

  async function one(w: Waiting): Promise<void> {
    try {
      w.resolve(await settleEvent(db, w.eventId));
    } catch (err) {
      w.reject(err);
    }
  }

  async function drain(): Promise<void> {
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
      // Two jobs of one event (two queues in one process): the event is reported settled once.
      for (const w of batch) {
        w.resolve(settled.get(w.eventId));
        settled.delete(w.eventId);
      }
    }
    running = false;
  }

  return {
    settle(eventId) {
      return new Promise((resolve, reject) => {
        waiting.push({ eventId, resolve, reject });
        if (running) return;
        running = true;
        setImmediate(() => void drain());
      });
    },
  };
}
