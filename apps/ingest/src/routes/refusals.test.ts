import { createLogger } from "@switchyard/config";
import { type Db, schema, sql } from "@switchyard/db";
import { invoicePaid, signStripe } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRefusalCounter, type RefusalCounter } from "../refusal-counter.ts";
import { createHarness, type Harness, post, SECRETS } from "../testing/harness.ts";

const logger = createLogger({ name: "refusals-test", level: "silent" });
const forged = () => signStripe({ payload: invoicePaid({ customer: "cus_x" }), secret: "whsec_wrong" });

/**
 * A database whose statements fail (or never answer) while `down` is set: the refusal counter's
 * writes go through it, everything else in the harness uses the real one.
 */
function flaky(db: Db, mode: { down: false | "error" | "hang" }): Db {
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop === "execute" && mode.down) {
        return () => (mode.down === "hang" ? new Promise(() => {}) : Promise.reject(new Error("connection refused")));
      }
      return Reflect.get(target, prop, receiver);
    },
  });
}

describe("refused webhook deliveries are counted per source, reason and minute, and write no event", () => {
  let h: Harness;
  let refusals: RefusalCounter;
  const mode: { down: false | "error" | "hang" } = { down: false };
  beforeAll(async () => {
    h = await createHarness({
      driver: "postgres",
      label: "refusals",
      // A long flush period: the test decides when counts are written.
      refusals: (db) => {
        refusals = createRefusalCounter({ db: flaky(db, mode), logger, flushMs: 60_000, retryMs: 60_000 });
        return refusals;
      },
    });
  });
  afterAll(() => h.close());

  const counts = async () => {
    const rows = await h.dbHandle.db
      .select({
        source: schema.webhookRefusals.source,
        reason: schema.webhookRefusals.reason,
        n: sql<number>`sum(${schema.webhookRefusals.count})::int`,
      })
      .from(schema.webhookRefusals)
      .groupBy(schema.webhookRefusals.source, schema.webhookRefusals.reason);
    return Object.fromEntries(rows.map((r) => [`${r.source}/${r.reason}`, r.n]));
  };

  it("40 wrong-signature Stripe requests among 200 good ones: 40 counted, 200 rows, none for the 40", async () => {
    const good = Array.from({ length: 200 }, () =>
      signStripe({ payload: invoicePaid({ customer: "cus_good" }), secret: SECRETS.stripe }),
    );
    const bad = Array.from({ length: 40 }, () =>
      signStripe({ payload: invoicePaid({ customer: "cus_forged" }), secret: "whsec_rotated_but_never_updated" }),
    );
    // Interleaved, as a provider retrying with a stale secret would be.
    const all = [...good.slice(0, 100), ...bad, ...good.slice(100)];
    const statuses = await Promise.all(all.map(async (s) => (await post(h, "/webhooks/stripe", s)).status));
    expect(statuses.filter((s) => s === 202)).toHaveLength(200);
    expect(statuses.filter((s) => s === 401)).toHaveLength(40);
    await refusals.flush();
    expect(await counts()).toEqual({ "stripe/auth_failed": 40 });
    const rows = await h.eventRows();
    expect(rows).toHaveLength(200);
    expect(
      rows.filter((r) => (r.payload as { data: { object: { customer: string } } }).data.object.customer !== "cus_good"),
    ).toEqual([]);
  });

  it("an unknown source and an oversized body are refusals too; a malformed signed body is a row, not a refusal", async () => {
    const rowsBefore = (await h.eventRows()).length;
    expect((await post(h, "/webhooks/nosuchsource", { body: "{}", headers: {} })).status).toBe(404);
    const huge = signStripe({ payload: { pad: "x".repeat(1_100_000) }, secret: SECRETS.stripe });
    expect((await post(h, "/webhooks/stripe", huge)).status).toBe(413);
    const malformed = signStripe({ payload: { not: "an event" }, secret: SECRETS.stripe });
    expect((await post(h, "/webhooks/stripe", malformed)).status).toBe(400);
    await refusals.flush();
    expect(await counts()).toEqual({
      "stripe/auth_failed": 40,
      "unknown/not_found": 1,
      "stripe/payload_too_large": 1,
    });
    // Only the authenticated, malformed one left a row (rejected).
    expect((await h.eventRows()).length).toBe(rowsBefore + 1);
  });

  it("a failed write keeps its counts for the next one", async () => {
    const local = { down: "error" as false | "error" | "hang" };
    const counter = createRefusalCounter({ db: flaky(h.dbHandle.db, local), logger, flushMs: 60_000, retryMs: 60_000 });
    const at = Date.now();
    counter.count("hubspot", "auth_failed", at);
    counter.count("hubspot", "auth_failed", at);
    await counter.flush();
    expect((await counts())["hubspot/auth_failed"]).toBeUndefined();
    local.down = false;
    counter.count("hubspot", "auth_failed", at);
    await counter.close();
    expect((await counts())["hubspot/auth_failed"]).toBe(3);
  });

  it("with Postgres failing, a refusal is still a prompt 401, and its count is written once Postgres is back", async () => {
    mode.down = "error";
    const started = performance.now();
    const res = await post(h, "/webhooks/stripe", forged());
    expect(res.status).toBe(401);
    expect(performance.now() - started).toBeLessThan(250);
    await refusals.flush();
    expect((await counts())["stripe/auth_failed"]).toBe(40);
    mode.down = false;
    await refusals.flush();
    expect((await counts())["stripe/auth_failed"]).toBe(41);
  });

  // Last: the write it starts never settles, so this counter writes nothing more.
  it("with a write to Postgres hanging, refusals are still answered at once", async () => {
    mode.down = "hang";
    expect((await post(h, "/webhooks/stripe", forged())).status).toBe(401);
    void refusals.flush();
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      expect((await post(h, "/webhooks/stripe", forged())).status).toBe(401);
      expect(performance.now() - started).toBeLessThan(250);
    }
  });
});

describe("with Redis unreachable", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ driver: "postgres", label: "refusals_noredis", redisUrl: "redis://127.0.0.1:1" });
  });
  afterAll(() => h.close());

  it("a refused delivery is still a prompt 401, and counted: the count never goes near Redis", async () => {
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      expect((await post(h, "/webhooks/stripe", forged())).status).toBe(401);
      expect(performance.now() - started).toBeLessThan(250);
    }
    const sum = async () => {
      const [row] = await h.dbHandle.db
        .select({ n: sql<number>`coalesce(sum(${schema.webhookRefusals.count}), 0)::int` })
        .from(schema.webhookRefusals);
      return row?.n ?? 0;
    };
    // newApp()'s own counter writes within about a second.
    const deadline = Date.now() + 5_000;
    while ((await sum()) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await sum()).toBe(3);
  });
});
