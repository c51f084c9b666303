import { advanceReconcileRun, claimReconcile, completeReconcileRun, schema, startReconcileRun } from "@switchyard/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminHarness, createAdminHarness } from "../testing/harness.ts";

const lineOf = async (h: AdminHarness) => {
  const page = await (await h.get("/console")).text();
  return /<p[^>]*data-testid="reconcile">([\s\S]*?)<\/p>/.exec(page)?.[1]?.replace(/<[^>]+>/g, "") ?? "";
};

describe("the console overview's Stripe reconcile line", () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await createAdminHarness("console_reconcile", { env: { STRIPE_SECRET_KEY: "sk_test_console_0123" } });
  });
  afterAll(() => h?.close());

  it("says it has not run, then shows a run in progress, then the last run's counts and the reconciled point", async () => {
    expect(await lineOf(h)).toMatch(/^Not run yet \(every 15 min; \.\/sy reconcile by hand\)/);

    const db = h.dbHandle.db;
    await claimReconcile(db, "stripe", "me", 60_000);
    const from = new Date("2026-12-01T10:00:00Z");
    const to = new Date("2026-12-02T10:00:00Z");
    await startReconcileRun(db, "stripe", "me", { runId: crypto.randomUUID(), from, to, phase: "all" });
    await advanceReconcileRun(db, "stripe", "me", {
      phase: "all",
      startingAfter: "evt_1",
      seen: 100,
      backfilled: 14,
      leaseMs: 60_000,
    });
    expect(await lineOf(h)).toContain("Run in progress since");
    expect(await lineOf(h)).toContain("100 listed, 14 backfilled so far");

    await completeReconcileRun(db, "stripe", "me");
    const line = await lineOf(h);
    expect(line).toMatch(
      /Last run .*: 100 Stripe event\(s\) listed, 14 backfilled; reconciled up to 2026-12-02T10:00:00Z\./,
    );
    const [cursor] = await db.select().from(schema.reconcileCursor);
    expect(cursor?.runId).toBeNull();
  });
});
