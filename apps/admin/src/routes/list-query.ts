import { AdminError } from "../errors.ts";

/** A list's page size: `limit` from the query (above 1000 means 1000), `fallback` when absent. */
export function pageSize(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new AdminError("invalid_request", "limit must be a whole number from 1");
  return Math.min(n, 1_000);
}

/** A time bound from the query: an ISO 8601 date-time (or date), or nothing. */
export function timeBound(raw: string | undefined, name: string): Date | undefined {
  if (!raw) return undefined;
  const d = new Date(raw);
  if (Number.isNaN(d.getTime())) throw new AdminError("invalid_request", `${name} must be an ISO 8601 date-time`);
  return d;
}

/** Runs a page query; a cursor the list did not hand out is a 400, not a 500. */
export async function withCursor<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof RangeError) throw new AdminError("invalid_request", "after is not a cursor of this list");
    throw err;
  }
}
