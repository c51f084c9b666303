import {
  CARRIED_COLUMN,
  type DbHandle,
  execOf,
  recordEvent,
  rowsOf,
  sendCarrying,
  settleCtes,
  sql,
} from "@switchyard/db";
import { type MigratedDatabase, migratedTestDatabase } from "@switchyard/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { batchedSettles } from "./settles.ts";

describe("batched settles", () => {
  let migrated: MigratedDatabase;
  let handle: DbHandle;
  beforeAll(async () => {
    migrated = await migratedTestDatabase("settles");
    handle = migrated.handle;
  });
  afterAll(() => migrated.close());

  /** An event routed to two queues whose deliveries both completed: settling makes it processed. */
  async function doneEvent(key: string, completed = ["support-context", "ai-triage"]) {
    const { event } = await recordEvent(handle.db, {
      source: "app",
      sourceEventId: key,
      type: "app.support.requested",
      payload: {},
      payloadHash: "h",
      status: "received",
      queues: ["support-context", "ai-triage"],
      receivedAt: new Date(Date.now() - 1_000),
    });
    for (const queue of completed) {
      await handle.db.execute(sql`insert into deliveries (consumer, event_id, status, completed_at)
        values (${`${queue}/app.support.requested`}, ${event.id}, 'completed', now())`);
    }
    return event.id;
  }
  const statusOf = async (id: string) =>
    rowsOf<{ status: string }>(await handle.db.execute(sql`select status from events where id = ${id}`))[0]?.status;

  it("settles the events asked for at once, each reported to one caller, and leaves an unfinished one", async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, (_, i) => doneEvent(`batch-${i}`)));
    const half = await doneEvent("half", ["support-context"]);
    const settles = batchedSettles(handle.db);
    const first = ids[0] as string;
    const answers = await Promise.all([...ids, first, half].map((id) => settles.settle(id)));
    expect(answers.slice(0, 20).every((a) => a?.source === "app")).toBe(true);
    // The same event twice in one batch: settled once.
    expect(answers[20]).toBeUndefined();
    expect(answers[21]).toBeUndefined();
    expect(await Promise.all(ids.map(statusOf))).toEqual(ids.map(() => "processed"));
    expect(await statusOf(half)).toBe("received");
    // Settled already: nothing to report again.
    expect(await settles.settle(first)).toBeUndefined();
  });

  /** A statement of a job's own that carries settles, as the hot paths' statements do. */
  const CARRIER = `with ${settleCtes("$1")} select 1 as own, ${CARRIED_COLUMN}`;

  it("settles waiting when a job's statement is sent ride in it: no statement of their own, each answered once", async () => {
    const ids = await Promise.all(Array.from({ length: 4 }, (_, i) => doneEvent(`carried-${i}`)));
    const half = await doneEvent("carried-half", ["support-context"]);
    const settles = batchedSettles(handle.db);
    const answers = Promise.all([...ids, half].map((id) => settles.settle(id)));
    const carry = settles.carry();
    expect(carry.ids?.split(",").sort()).toEqual([...ids, half].sort());
    // Taken: the next carrier finds nothing waiting.
    expect(settles.carry().ids).toBeNull();
    const [row] = await sendCarrying(carry, (given) =>
      execOf(handle.db)<{ own: number; carried: string }>(CARRIER, [given]),
    );
    expect(row?.own).toBe(1);
    const settled = await answers;
    expect(settled.slice(0, 4).every((a) => a?.source === "app")).toBe(true);
    expect(settled[4]).toBeUndefined();
    expect(await Promise.all(ids.map(statusOf))).toEqual(ids.map(() => "processed"));
    expect(await statusOf(half)).toBe("received");
  });

  it("settles a failed carrier took are sent by themselves", async () => {
    const id = await doneEvent("carrier-failed");
    const settles = batchedSettles(handle.db);
    const answer = settles.settle(id);
    const carry = settles.carry();
    expect(carry.ids).toBe(id);
    await expect(
      sendCarrying(carry, () => execOf(handle.db)<{ carried: string }>("select 1/0 as carried", [])),
    ).rejects.toThrow(/division by zero/);
    expect((await answer)?.source).toBe("app");
    expect(await statusOf(id)).toBe("processed");
  });

  it("a settle nobody waits for rides in the next statement that carries, or goes alone soon after; flush waits for it", async () => {
    const [carried, alone] = await Promise.all([doneEvent("later-carried"), doneEvent("later-alone")]);
    const settles = batchedSettles(handle.db);
    const heard: string[] = [];
    settles.later(carried, () => heard.push(carried));
    const carry = settles.carry();
    expect(carry.ids).toBe(carried);
    await sendCarrying(carry, (given) => execOf(handle.db)<{ carried: string }>(CARRIER, [given]));
    expect(heard).toEqual([carried]);
    expect(await statusOf(carried)).toBe("processed");
    settles.later(alone, () => heard.push(alone));
    expect(await statusOf(alone)).toBe("received");
    await settles.flush(5_000);
    expect(heard).toEqual([carried, alone]);
    expect(await statusOf(alone)).toBe("processed");
  });

  it("a batch that fails is tried one by one: only the bad settle fails", async () => {
    const ids = await Promise.all(Array.from({ length: 5 }, (_, i) => doneEvent(`fallback-${i}`)));
    const settles = batchedSettles(handle.db);
    const results = await Promise.allSettled([...ids, "not-a-uuid"].map((id) => settles.settle(id)));
    expect(results.slice(0, 5).map((r) => r.status)).toEqual(ids.map(() => "fulfilled"));
    expect(results[5]?.status).toBe("rejected");
    expect(await Promise.all(ids.map(statusOf))).toEqual(ids.map(() => "processed"));
  });
});
