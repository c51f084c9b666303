import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
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
  /**
   * Postgres only: a statement still unanswered this long means its connection is dead (see
   * watchStalls), and the pool is replaced. Leave unset where a statement may rightly run longer
   * (migrations).
   */
  stallMs?: number;
  /** Told each time the pool was replaced, with how long the oldest statement had waited. */
  onPoolReplaced?: (waitedMs: number) => void;
}

export async function createDb(opts: DbOptions): Promise<DbHandle> {
  return opts.databaseUrl ? connectPostgres(opts.databaseUrl, opts) : openPglite(opts.dataDir ?? "./.data");
}

/**
 * After five runs Postgres keeps one generic plan per prepared statement, made with the table
 * sizes of that moment. A worker's lookups (a customer by key, a delivery, a foreign-key check)
 * planned while `customers` or `deliveries` was nearly empty are sequential scans, and the cached
 * plan keeps them until the next ANALYZE: every job then reads the whole table, and with
 * autovacuum off that lasts forever. Every statement a worker runs finds its rows through an index
 * (by key, or support context's latest event of a type for a user, which walks `events_type_idx`
 * either way), so its sessions turn sequential scans off instead: the plans Postgres caches are
 * index scans whatever the table's size, and it does not plan each execution again, which is what
 * the earlier fix did and cost Postgres far more CPU in planning. A table with no usable index is
 * still scanned (the setting only makes a scan cost more). Ingest keeps the default, whose generic
 * plan gives the relay's scan its ordered index scan. Measurements: docs/PERFORMANCE.md.
 */
const KEY_LOOKUPS_ONLY = { enable_seqscan: "off" };

/**
 * postgres.js retries a refused connection with a backoff that grows to 20 s, and a query waits
 * through it: after an outage the first queries would wait up to 20 s more for a server that is
 * back. Capped at a second (with jitter), recovery follows within about a second.
 */
const reconnectBackoff = (retries: number) => (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 1);

function connectPostgres(url: string, opts: DbOptions): DbHandle {
  const options: postgres.Options<Record<string, never>> = {
    max: opts.maxConnections ?? 10,
    onnotice: () => {},
    connect_timeout: 5,
    backoff: reconnectBackoff,
    ...(opts.keyLookupsOnly ? { connection: KEY_LOOKUPS_ONLY } : {}),
  };
  let sql = postgres(url, options);
  const stalls = opts.stallMs ? watchStalls(opts.stallMs, replace) : undefined;
  /**
   * A fresh pool in place of one whose connection stopped answering. A failover that moves an
   * address leaves the old primary's connections half-open: a statement sent on one waits for the
   * kernel to give up (many minutes), and postgres.js queues more behind it. postgres.js cannot
   * drop one connection, so the whole pool goes (its statements fail at once with
   * CONNECTION_DESTROYED) and the new one connects again, to whatever the name now reaches.
   */
  function replace(waitedMs: number) {
    const old = sql;
    sql = postgres(url, options);
    // drizzle set its type parsers on the first pool's options; the new pool needs the same.
    Object.assign(sql.options.parsers, old.options.parsers);
    Object.assign(sql.options.serializers, old.options.serializers);
    void old.end({ timeout: 0 }).catch(() => {});
    opts.onPoolReplaced?.(waitedMs);
  }
  const db = drizzlePostgres(
    preparing(() => sql, stalls),
    { schema },
  ) as unknown as Db;
  return {
    db,
    kind: "postgres",
    close: () => {
      stalls?.stop();
      return sql.end({ timeout: 5 });
    },
    ping: async () => {
      await (stalls ? stalls.track(sql`select 1`) : sql`select 1`);
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

interface StallWatch {
  /** The query, timed from when it is awaited (postgres.js sends a query then) until it settles. */
  track<Q extends PromiseLike<unknown>>(query: Q): Q;
  stop(): void;
}

/**
 * Times every statement from when it runs until it settles, and calls `onStall` when the oldest
 * has waited `stallMs` (then not again for `stallMs`, so a pool just replaced can connect). A
 * postgres.js query runs when first awaited, so the clock starts in its own `then`; wrapping the
 * query in another promise would run it before drizzle asked for `.values()`.
 */
function watchStalls(stallMs: number, onStall: (waitedMs: number) => void): StallWatch {
  const started = new Set<{ at: number }>();
  let quietUntil = 0;
  const timer = setInterval(
    () => {
      const now = performance.now();
      if (now < quietUntil) return;
      let oldest = now;
      for (const s of started) oldest = Math.min(oldest, s.at);
      if (now - oldest < stallMs) return;
      started.clear();
      quietUntil = now + stallMs;
      onStall(Math.round(now - oldest));
    },
    Math.max(50, Math.round(stallMs / 10)),
  );
  timer.unref();
  return {
    track(query) {
      const then = query.then;
      // biome-ignore lint/suspicious/noThenProperty: the query's own then, timed; it stays the same thenable.
      (query as { then: unknown }).then = function (
        this: typeof query,
        onFulfilled?: (value: unknown) => unknown,
        onRejected?: (reason: unknown) => unknown,
      ) {
        const entry = { at: performance.now() };
        started.add(entry);
        return then.call(
          this,
          (value) => {
            started.delete(entry);
            return onFulfilled ? onFulfilled(value) : value;
          },
          (reason) => {
            started.delete(entry);
            if (onRejected) return onRejected(reason);
            throw reason;
          },
        );
      };
      return query;
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * drizzle runs every unnamed query unprepared, and postgres.js then describes a statement before
 * it binds it: two round trips for each query. Prepared (cached per connection by its text), a
 * query takes one. Our statements are fixed texts, so the cache stays small. `current` is the
 * pool of the moment (replaced when one stalls); statements are timed when `stalls` watches.
 */
function preparing(current: () => postgres.Sql, stalls?: StallWatch): postgres.Sql {
  return new Proxy(current(), {
    get(_target, prop) {
      const target = current();
      if (prop === "unsafe") {
        return (query: string, args?: postgres.ParameterOrJSON<never>[], options?: postgres.UnsafeQueryOptions) => {
          const pending = target.unsafe(query, args, { ...options, prepare: true });
          return stalls ? stalls.track(pending) : pending;
        };
      }
      if (prop === "begin") {
        // Transactions hand drizzle a connection of their own: prepare there too.
        return (...args: unknown[]) => {
          const fn = args.at(-1) as (tx: postgres.Sql) => unknown;
          return (target.begin as (...a: unknown[]) => unknown)(...args.slice(0, -1), (tx: postgres.Sql) =>
            fn(preparing(() => tx, stalls)),
          );
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
    apply: (_target, thisArg, args) => Reflect.apply(current(), thisArg, args),
  });
}

/**
 * PGlite (a WebAssembly Postgres, megabytes of heap once loaded) is imported only by the one
 * process that embeds it: every other process connects to a server and never loads it.
 */
async function openPglite(dataDir: string): Promise<DbHandle> {
  const [{ PGlite }, { drizzle: drizzlePglite }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("drizzle-orm/pglite"),
  ]);
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
