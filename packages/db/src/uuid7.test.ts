import { describe, expect, it } from "vitest";
import { uuid7 } from "./uuid7.ts";

describe("uuid7", () => {
  it("is a version 7, RFC 9562 variant UUID carrying the time in its first 48 bits", () => {
    const at = Date.UTC(2026, 10, 30, 12, 0, 0, 123);
    const id = uuid7(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replace("-", "").slice(0, 12), 16)).toBe(at);
  });

  it("sorts by time, as text and as Postgres compares uuids (bytewise)", () => {
    const ids = [5, 1_000, 1_700_000_000_000, 1_700_000_000_001].map((t) => uuid7(t));
    expect([...ids].sort()).toEqual(ids);
  });

  it("stays unique within one millisecond", () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => uuid7(1_700_000_000_000)));
    expect(ids.size).toBe(10_000);
  });

  it("refuses a time it cannot carry", () => {
    for (const bad of [-1, 1.5, 2 ** 48, Number.NaN]) expect(() => uuid7(bad)).toThrow(RangeError);
    expect(uuid7(2 ** 48 - 1).startsWith("ffffffff-ffff-7")).toBe(true);
  });
});
