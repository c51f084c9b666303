/**
 * How a query fails when the database, not the query, is at fault: worth a retry later, on this
 * server or the primary that replaced it.
 *
 * - postgres.js's own connection codes, and the socket errors of a refused, reset, timed out or
 *   unresolvable connection (an `AggregateError` when every address of a name failed);
 * - SQLSTATE classes 08 (connection exception), 53 (insufficient resources: too many
 *   connections, disk full), 57 (operator intervention: shutdown, crash recovery, "cannot connect
 *   now", a cancelled statement) and 58 (system error);
 * - 25006 (a read-only transaction: a standby answered, as right after a failover), and 40001,
 *   40P01, 55P03 (serialization failure, deadlock, lock not available: the next try may pass).
 */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
]);
const TRANSIENT_SQLSTATE = /^(?:(?:08|53|57|58)[0-9A-Z]{3}|25006|40001|40P01|55P03)$/;

/** True when `err` (or an error it wraps: drizzle's query error, an AggregateError) says the database is unavailable. */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 5) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && (CONNECTION_CODES.has(code) || TRANSIENT_SQLSTATE.test(code))) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isDatabaseUnavailable(e, depth + 1))) return true;
  return isDatabaseUnavailable(err.cause, depth + 1);
}
