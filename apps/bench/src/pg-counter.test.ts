import { TEST_POSTGRES_URL } from "@switchyard/testkit";
import postgres from "postgres";
import { describe, expect, it } from "vitest";
import { startPgCounter } from "./pg-counter.ts";

describe("the counting relay in front of Postgres", () => {
  it("counts statements, round trips and commits as the client sends them", async () => {
    const target = new URL(TEST_POSTGRES_URL);
    const relay = await startPgCounter({ host: target.hostname, port: Number(target.port || 5432) });
    target.host = `127.0.0.1:${relay.port}`;
    const sql = postgres(target.toString(), { max: 1, onnotice: () => {} });
    try {
      await sql`select 1`; // the connection's own set-up queries come first
      const before = relay.counts();
      await sql.unsafe("select $1::int as n", [1], { prepare: true });
      await sql.unsafe("select $1::int as n", [2], { prepare: true });
      await sql.begin(async (tx) => {
        await tx`select 1`;
        await tx`select 2`;
      });
      const after = relay.counts();
      // Two autocommit statements; then begin, two statements and commit: one transaction.
      expect(after.statements - before.statements).toBe(6);
      expect(after.commits - before.commits).toBe(3);
      expect(after.roundTrips - before.roundTrips).toBeGreaterThanOrEqual(6);
    } finally {
      await sql.end();
      await relay.close();
    }
  });
});
