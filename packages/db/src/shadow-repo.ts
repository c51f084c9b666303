import { desc, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { shadowWrites } from "./schema-rollout.ts";

export interface ShadowTally {
  queue: string;
  provider: string;
  operation: string;
  count: number;
  last: Date;
}

/** What shadow mode would have written, per queue, provider and operation, since `since`. */
export async function shadowTallies(db: Db, since: Date): Promise<ShadowTally[]> {
  return db
    .select({
      queue: shadowWrites.queue,
      provider: shadowWrites.provider,
      operation: shadowWrites.operation,
      count: sql<number>`count(*)::int`,
      last: sql<Date>`max(${shadowWrites.createdAt})`.mapWith((v: string | Date) => new Date(v)),
    })
    .from(shadowWrites)
    .where(sql`${shadowWrites.createdAt} >= ${since.toISOString()}::timestamptz`)
    .groupBy(shadowWrites.queue, shadowWrites.provider, shadowWrites.operation)
    .orderBy(shadowWrites.queue, shadowWrites.provider, shadowWrites.operation);
}

export type ShadowWriteRow = typeof shadowWrites.$inferSelect;

/** The latest "would have written" entries, newest first. */
export async function recentShadowWrites(db: Db, limit: number): Promise<ShadowWriteRow[]> {
  return db.select().from(shadowWrites).orderBy(desc(shadowWrites.createdAt), desc(shadowWrites.id)).limit(limit);
}
