import { describe, expect, it } from "vitest";
import { coalesce, type Stage } from "./coalesce.ts";

const tick = () => new Promise((r) => setImmediate(r));

describe("coalesce", () => {
  it("serves calls made in one turn of the event loop with one batch, in order", async () => {
    const batches: number[][] = [];
    const double = coalesce(
      async (items: number[]) => {
        batches.push(items);
        return items.map((n) => n * 2);
      },
      { maxBatch: 100, maxInFlight: 2 },
    );
    const out = await Promise.all([1, 2, 3, 4, 5].map((n) => double(n)));
    expect(out).toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2, 3, 4, 5]]);
  });

  it("caps a batch at maxBatch and the batches in flight at maxInFlight; the rest wait and grow", async () => {
    const batches: number[][] = [];
    let inFlight = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const run = coalesce(
      async (items: number[]) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        batches.push(items);
        await new Promise<void>((r) => gates.push(r));
        inFlight--;
        return items;
      },
      { maxBatch: 3, maxInFlight: 2 },
    );
    const first = Array.from({ length: 7 }, (_, i) => run(i));
    await tick();
    expect(batches).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    const later = Array.from({ length: 3 }, (_, i) => run(100 + i));
    while (gates.length > 0 || batches.length < 4) {
      gates.shift()?.();
      await tick();
    }
    await Promise.all([...first, ...later]);
    expect(peak).toBe(2);
    // The item left over and the ones asked for while both slots were busy went as one batch.
    expect(batches.slice(2).flat()).toEqual([6, 100, 101, 102]);
    expect(batches.every((b) => b.length <= 3)).toBe(true);
  });

  it("with overlapAt, a second batch starts beside one in flight only once that many items wait", async () => {
    const batches: number[][] = [];
    const gates: (() => void)[] = [];
    const run = coalesce(
      async (items: number[]) => {
        batches.push(items);
        await new Promise<void>((r) => gates.push(r));
        return items;
      },
      { maxBatch: 10, maxInFlight: 3, overlapAt: 3 },
    );
    const first = run(1);
    await tick();
    const few = [run(2), run(3)];
    await tick();
    // Two waiting, fewer than overlapAt: they wait for the batch in flight.
    expect(batches).toEqual([[1]]);
    const more = [run(4), run(5), run(6)];
    await tick();
    expect(batches).toEqual([[1], [2, 3, 4, 5, 6]]);
    const last = run(7);
    await tick();
    expect(batches).toHaveLength(2);
    gates.shift()?.();
    await tick();
    await tick();
    // One batch is still in flight, so the lone item keeps waiting...
    expect(batches).toHaveLength(2);
    gates.shift()?.();
    await tick();
    await tick();
    // ...and goes, however few, once none is.
    expect(batches).toEqual([[1], [2, 3, 4, 5, 6], [7]]);
    while (gates.length > 0) gates.shift()?.();
    expect(await Promise.all([first, ...few, ...more, last])).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("with isolateFailures, a batch failed by a bad item is retried item by item so only that item fails", async () => {
    const calls: string[][] = [];
    const run = coalesce(
      async (items: string[]) => {
        calls.push(items);
        if (items.includes("bad")) throw new Error("refused: bad");
        return items.map((s) => s.toUpperCase());
      },
      { maxBatch: 10, maxInFlight: 1, isolateFailures: (err) => (err as Error).message.startsWith("refused") },
    );
    const results = await Promise.allSettled(["a", "bad", "c"].map((s) => run(s)));
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([
      "A",
      "refused: bad",
      "C",
    ]);
    expect(calls[0]).toEqual(["a", "bad", "c"]);
    expect(calls.slice(1).sort()).toEqual([["a"], ["bad"], ["c"]]);
  });

  it("an error isolateFailures does not accept fails every item at once, and later batches still run", async () => {
    let fail = true;
    let calls = 0;
    const run = coalesce(
      async (items: number[]) => {
        calls++;
        if (fail) throw new Error("connection lost");
        return items;
      },
      { maxBatch: 10, maxInFlight: 1, isolateFailures: (err) => (err as Error).message.startsWith("refused") },
    );
    const failed = await Promise.allSettled([run(1), run(2)]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(calls).toBe(1);
    fail = false;
    expect(await run(3)).toBe(3);
  });

  describe("with a deadline", () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const deadlineOf = (expiries: [number, boolean][]) => ({
      ms: 200,
      expired: (n: number, waited: boolean) => {
        expiries.push([n, waited]);
        return new Error("too late");
      },
    });
    const outcome = async (p: Promise<unknown>) => {
      const started = performance.now();
      const r = await p.then(
        (v) => v,
        (e: Error) => e.message,
      );
      return { r, ms: performance.now() - started };
    };

    it("answers a stalled call's items and those waiting behind it by the deadline; the call keeps its slot", async () => {
      const expiries: [number, boolean][] = [];
      const gates: (() => void)[] = [];
      const calls: number[][] = [];
      const run = coalesce(
        async (items: number[]) => {
          calls.push(items);
          await new Promise<void>((r) => gates.push(r));
          return items;
        },
        { maxBatch: 10, maxInFlight: 1, deadline: deadlineOf(expiries) },
      );
      const stalled = outcome(Promise.all([run(1), run(2)]));
      await sleep(100);
      const behind = outcome(run(3));
      const a = await stalled;
      const b = await behind;
      expect(a.r).toBe("too late");
      expect(a.ms).toBeGreaterThanOrEqual(195);
      expect(a.ms).toBeLessThan(260);
      // Asked 100 ms later, it waited its own 200 ms behind the stalled call, which never let it in.
      expect(b.r).toBe("too late");
      expect(b.ms).toBeGreaterThanOrEqual(195);
      expect(b.ms).toBeLessThan(260);
      expect(calls).toEqual([[1, 2]]);
      expect(expiries).toEqual([
        [2, false],
        [1, true],
      ]);
      // The late call's outcome is dropped; the slot is free again once it ends.
      gates.shift()?.();
      await tick();
      const next = run(4);
      await tick();
      gates.shift()?.();
      expect(await next).toBe(4);
    });

    it("does not count waiting behind calls past their first stage (lift), nor their second stage", async () => {
      const expiries: [number, boolean][] = [];
      const run = coalesce(
        async (items: number[], stage: Stage) => {
          stage.lift();
          await sleep(300); // an enqueue, longer than the deadline, under its own bound
          return items;
        },
        { maxBatch: 10, maxInFlight: 1, deadline: deadlineOf(expiries) },
      );
      const first = outcome(run(1));
      await tick();
      const second = outcome(run(2));
      expect((await first).r).toBe(1);
      const waited = await second;
      expect(waited.r).toBe(2);
      expect(waited.ms).toBeGreaterThan(550);
      expect(expiries).toEqual([]);
    });
  });

  it("rejects every item when the batch returns the wrong number of results", async () => {
    const run = coalesce(async (items: number[]) => items.slice(1), { maxBatch: 10, maxInFlight: 1 });
    await expect(Promise.all([run(1), run(2)])).rejects.toThrow("batch of 2 returned 1 results");
  });
});
