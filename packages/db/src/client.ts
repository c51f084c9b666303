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
  /** Sessions that only look rows up by key (workers, Postgres only): see KEY_LOOKUPS_ONLY. */
  keyLookupsOnly?: boolean;
}

export async function createDb(opts: DbOptions): Promise<DbHandle> {
  return opts.databaseUrl
    ? connectPostgres(opts.databaseUrl, opts.maxConnections ?? 10, opts.keyLookupsOnly ?? false)
    : openPglite(opts.dataDir ?? "./.data");
}

/**
 * After five runs Postgres keeps one generic plan per prepared statement, made with the table
 * sizes of that moment. A worker's lookups (a customer by key, a delivery, a foreign-key check)
 * planned while `customers` or `deliveries` was nearly empty are sequential scans, and the cached
 * plan keeps them until the next ANALYZE: every job then reads the whole table (with autovacuum
 * off, a crm-sync drain of 20,000 signups read 200 million rows and ran at 284 jobs/s). Every
 * statement a worker runs finds its rows through an index (by key, or support context's latest
 * event of a type for a user, which walks `events_type_idx` either way), so its sessions turn
 * sequential scans off instead: the plans Postgres caches are index scans whatever the table's
 * size, and it does not plan each execution again. Planning every execution (the earlier fix) was
 * 28% of Postgres's CPU in an end-to-end run; this took Postgres from about 2.7 to 1.7 ms of CPU
 * per signup. A table with no usable index is still scanned (the setting only makes a scan cost
 * more). Ingest keeps the default, whose generic plan gives the relay's scan its ordered index
 * scan.
 */
const KEY_LOOKUPS_ONLY = { enable_seqscan: "off" };

function connectPostgres(url: string, max: number, keyLookupsOnly: boolean): DbHandle {
  const sql = postgres(url, {
    max,
    onnotice: () => {},
    connect_timeout: 5,
    ...(keyLookupsOnly ? { connection: KEY_LOOKUPS_ONLY } : {}),
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
