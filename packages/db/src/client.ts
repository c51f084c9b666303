import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema.ts";

export type Schema = typeof schema;
/** Either driver: repositories are written once against the common pg-core surface. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

/** The rows of a `db.execute()`: postgres.js answers with the rows, PGlite with `{ rows }`. */
export const rowsOf = <T>(result: unknown): T[] =>
  ((Array.isArray(result) ? result : (result as { rows?: unknown[] }).rows) ?? []) as T[];

export interface DbHandle {
  db: Db;
  kind: "postgres" | "pglite";
  close(): Promise<void>;
  /** Session-scoped advisory lock (same connection throughout), for one-at-a-time work. */
  withAdvisoryLock<T>(key: number, fn: () => Promise<T>): Promise<T>;
  ping(): Promise<void>;
}

export interface DbOptions {
  /** postgres:// URL; when absent the embedded PGlite is used. */
  databaseUrl?: string | undefined;
  /** Folder for embedded data; `memory://` keeps it in memory (tests). */
  dataDir?: string;
  maxConnections?: number;
  /** Plan every execution afresh (Postgres only): for workers, see PLAN_EVERY_EXECUTION. */
  planEveryExecution?: boolean;
}

export async function createDb(opts: DbOptions): Promise<DbHandle> {
  return opts.databaseUrl
    ? connectPostgres(opts.databaseUrl, opts.maxConnections ?? 10, opts.planEveryExecution ?? false)
    : openPglite(opts.dataDir ?? "./.data");
}

/**
 * After five runs Postgres keeps one generic plan per prepared statement, made with the table
 * sizes of that moment. A worker's lookups (a customer by key, a delivery, a foreign-key check)
 * made while `customers` or `deliveries` was nearly empty stay sequential scans until the next
 * ANALYZE, and every job then reads the whole table: with autovacuum off, a crm-sync drain of
 * 20,000 signups read 200 million rows and ran at 284 jobs/s, against 427 jobs/s planning each
 * execution. Ingest keeps the default: without statistics a fresh plan for the relay's scan
 * sorts the whole backlog for every batch (about 1,500 rows/s caught up, against 8,000 with the
 * generic plan's ordered index scan).
 */
const PLAN_EVERY_EXECUTION = { plan_cache_mode: "force_custom_plan" };

function connectPostgres(url: string, max: number, planEveryExecution: boolean): DbHandle {
  const sql = postgres(url, {
    max,
    onnotice: () => {},
    connect_timeout: 5,
    ...(planEveryExecution ? { connection: PLAN_EVERY_EXECUTION } : {}),
  });
  const db = drizzlePostgres(preparing(sql), { schema }) as unknown as Db;
  return {
    db,
    kind: "postgres",
    close: () => sql.end({ timeout: 5 }),
    ping: async () => {
      await sql`select 1`;
    },
    async withAdvisoryLock(key, fn) {
      const conn = await sql.reserve();
      try {
        await conn`select pg_advisory_lock(${key})`;
        try {
          return await fn();
        } finally {
          await conn`select pg_advisory_unlock(${key})`;
        }
      } finally {
        conn.release();
      }
    },
  };
}

/**
 * drizzle runs every unnamed query unprepared, and postgres.js then describes a statement before
 * it binds it: two round trips for each query. Prepared (cached per connection by its text), a
 * query takes one. Our statements are fixed texts, so the cache stays small.
 */
function preparing(sql: postgres.Sql): postgres.Sql {
  return new Proxy(sql, {
    get(target, prop, receiver) {
      if (prop === "unsafe") {
        return (query: string, args?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) =>
          target.unsafe(query, args, { ...options, prepare: true });
      }
      if (prop === "begin") {
        // Transactions hand drizzle a connection of their own: prepare there too.
        return (...args: unknown[]) => {
          const fn = args.at(-1) as (tx: postgres.Sql) => unknown;
          return (target.begin as (...a: unknown[]) => unknown)(...args.slice(0, -1), (tx: postgres.Sql) =>
            fn(preparing(tx)),
          );
        };
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

async function openPglite(dataDir: string): Promise<DbHandle> {
  let target: string | undefined;
  if (dataDir !== "memory://") {
    target = join(resolve(dataDir), "pglite");
    mkdirSync(target, { recursive: true });
  }
  const client = target ? new PGlite(target) : new PGlite();
  await client.waitReady;
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: "pglite",
    close: () => client.close(),
    ping: async () => {
      await client.query("select 1");
    },
    // PGlite is one in-process connection: nothing else can hold the lock.
    withAdvisoryLock: (_key, fn) => fn(),
  };
}
