import { getTableColumns, type InferSelectModel, type Table } from "drizzle-orm";
import type { Db } from "./client.ts";

/** Runs one fixed statement (`$1`… placeholders) and returns its rows. */
export type Exec = <T>(text: string, params: readonly unknown[]) => Promise<T[]>;

interface PostgresJsClient {
  unsafe(text: string, params: readonly unknown[], opts: { prepare: boolean }): Promise<unknown[]>;
}
interface PgliteClient {
  query(text: string, params: readonly unknown[]): Promise<{ rows: unknown[] }>;
}

const cache = new WeakMap<object, Exec>();

/**
 * The statements a worker runs for every job, sent as fixed text straight to the driver: drizzle
 * builds a query object for every call, even for `sql` templates, which cost more CPU than the
 * statements themselves. The text never changes, so postgres.js prepares it once per connection
 * (client.ts's proxy, which also times it for the stall watch) and PGlite parses it the same way.
 * Every parameter is sent as text and cast in the statement, and every column read back is text,
 * an integer, a boolean or float8 epoch milliseconds: the two drivers parse other types apart.
 */
export function execOf(db: Db): Exec {
  const client = (db as unknown as { $client?: object }).$client;
  if (!client) throw new Error("execOf needs the pool's db, not a transaction's");
  let exec = cache.get(client);
  if (exec) return exec;
  if (typeof (client as Partial<PostgresJsClient>).unsafe === "function") {
    const pg = client as PostgresJsClient;
    exec = async <T>(text: string, params: readonly unknown[]) =>
      (await pg.unsafe(text, params, { prepare: true })) as T[];
  } else {
    const lite = client as PgliteClient;
    exec = async <T>(text: string, params: readonly unknown[]) => (await lite.query(text, params)).rows as T[];
  }
  cache.set(client, exec);
  return exec;
}

/** A timestamp column read back as epoch milliseconds (see execOf), or null. */
export const dateOf = (ms: number | string | null | undefined): Date | null =>
  ms === null || ms === undefined ? null : new Date(Number(ms));

/**
 * A table's row as drizzle's select returns it, from the row's `to_jsonb` read back as text (the
 * one type both drivers return alike): each column is found by its SQL name and mapped by its own
 * column type (timestamps to Dates, arrays, jsonb), so a hot statement can return whole rows.
 */
export function rowFromJson<T extends Table>(table: T, json: Record<string, unknown>): InferSelectModel<T> {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = json[column.name];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as InferSelectModel<T>;
}
