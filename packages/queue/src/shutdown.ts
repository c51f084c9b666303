import { setTimeout as sleep } from "node:timers/promises";
import type { Redis } from "ioredis";
import { withTimeout } from "./redis.ts";

export interface GiveUpOptions {
  /** The connection whose answers say whether Redis is there. */
  redis: Redis;
  /** True while nothing is left in flight that Redis could still record (no job running). */
  idle?: () => boolean;
  /** How long Redis must stay away, with nothing in flight, before waiting stops. */
  settleMs?: number;
  pollMs?: number;
}

async function answers(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status !== "ready") return false;
  try {
    await withTimeout(redis.ping(), timeoutMs, "redis ping");
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits for `closing` (a BullMQ worker's graceful close: it lets the jobs in flight finish), unless
 * Redis is away: then that close waits forever for Redis to acknowledge it, so once nothing is in
 * flight and Redis has not answered for `settleMs`, waiting stops. Resolves true when `closing`
 * finished, false when it was given up; the process is about to exit either way, and a job cut
 * short returns to its queue after its lock expires.
 */
export async function closeOrGiveUp(closing: Promise<unknown>, opts: GiveUpOptions): Promise<boolean> {
  const settleMs = opts.settleMs ?? 1_000;
  const pollMs = opts.pollMs ?? 200;
  let finished = false;
  const done = closing.then(
    () => {
      finished = true;
    },
    (err: unknown) => {
      finished = true;
      throw err;
    },
  );
  const watch = async (): Promise<false> => {
    let awaySince: number | undefined;
    for (;;) {
      await sleep(pollMs);
      if (finished) return false;
      const away = (opts.idle?.() ?? true) && !(await answers(opts.redis, pollMs));
      if (!away) awaySince = undefined;
      else if (awaySince === undefined) awaySince = Date.now();
      else if (Date.now() - awaySince >= settleMs) return false;
    }
  };
  const closed = await Promise.race([done.then(() => true as const), watch()]);
  if (!closed) done.catch(() => {});
  return closed;
}
