import { eq, inArray, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { consoleLoginThrottle } from "./schema-accounts.ts";

export interface ThrottleRule {
  /** Failures in a row answered at once; the attempt after them waits. */
  free: number;
  /** The first wait; it doubles with each further failure. */
  baseMs: number;
  /** The longest wait: a delay, never a ban. */
  maxMs: number;
  /** Failures this long ago are forgotten. */
  forgetMs: number;
}

/** The latest time any of the keys may try again, or undefined when none is waiting. */
export async function loginBlockedUntil(db: Db, keys: string[]): Promise<Date | undefined> {
  if (keys.length === 0) return undefined;
  const rows = await db
    .select({ blockedUntil: consoleLoginThrottle.blockedUntil })
    .from(consoleLoginThrottle)
    .where(inArray(consoleLoginThrottle.key, keys));
  const now = Date.now();
  let latest: Date | undefined;
  for (const r of rows) {
    if (r.blockedUntil && r.blockedUntil.getTime() > now && (!latest || r.blockedUntil > latest)) {
      latest = r.blockedUntil;
    }
  }
  return latest;
}

/** Counts one failed sign-in against the key and sets how long it must wait (in one statement, so concurrent failures all count). */
export async function recordLoginFailure(db: Db, key: string, rule: ThrottleRule): Promise<void> {
  const t = consoleLoginThrottle;
  const forget = sql`${t.lastFailureAt} < now() - make_interval(secs => ${rule.forgetMs / 1000})`;
  const failures = sql`(case when ${forget} then 0 else ${t.failures} end) + 1`;
  await db
    .insert(t)
    .values({
      key,
      failures: 1,
      blockedUntil: rule.free <= 1 ? sql`now() + make_interval(secs => ${rule.baseMs / 1000})` : null,
    })
    .onConflictDoUpdate({
      target: t.key,
      set: {
        failures,
        lastFailureAt: sql`now()`,
        blockedUntil: sql`case when ${failures} >= ${rule.free}
          then now() + make_interval(secs => least(${rule.maxMs / 1000}, ${rule.baseMs / 1000} * power(2, ${failures} - ${rule.free})))
          else null end`,
      },
    });
}

export async function clearLoginFailures(db: Db, key: string): Promise<void> {
  await db.delete(consoleLoginThrottle).where(eq(consoleLoginThrottle.key, key));
}
