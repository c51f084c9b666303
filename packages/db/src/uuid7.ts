import { randomUUID } from "node:crypto";

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Event ids are the primary
 * key of the busiest table. A random v4 key sends each insert to a random leaf of that index;
 * time-ordered keys land on its rightmost leaves, which split full: the index came out about 30%
 * smaller per row (pg_relation_size after about 100,000 bench events), and inserts keep touching
 * the same few pages once it has outgrown memory. The WAL per event and the latency did not change
 * measurably.
 */
export function uuid7(now = Date.now()): string {
  if (!Number.isSafeInteger(now) || now < 0 || now >= 2 ** 48) {
    throw new RangeError(`uuid7 needs whole milliseconds since 1970 within 48 bits, not ${now}`);
  }
  const ms = now.toString(16).padStart(12, "0");
  // A v4 from Node's pooled entropy, with its first 48 bits replaced by the time and its version
  // nibble (offset 14) by 7; its variant bits stay as RFC 9562 wants them.
  const random = randomUUID();
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${random.slice(15)}`;
}
