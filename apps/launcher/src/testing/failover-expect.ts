import { expect } from "vitest";
import type { FailoverResult, outcomeOf } from "./failover-run.ts";

/**
 * What every failover run must end with, whatever the topology: every accepted event processed
 * once, one contact per user, no note doubled, nothing left open or failed, every 503 with
 * Retry-After, no process restarted, and readiness failing meanwhile and back at the end.
 */
export function expectEveryEventOnce(
  r: FailoverResult,
  outcome: Awaited<ReturnType<typeof outcomeOf>>,
  plan: { signups: number; support: number; redeliveries: number },
): void {
  expect(r.open, r.procs.map((p) => p.output().split("\n").slice(-5).join("\n")).join("\n---\n")).toBe(0);
  expect(r.otherErrors.filter((e) => !e.startsWith("fetch:"))).toEqual([]);
  expect(r.withoutRetryAfter).toBe(0);
  expect(r.accepted.size).toBe(plan.signups + plan.support);
  expect(outcome).toMatchObject({
    events: plan.signups + plan.support,
    everyAcceptedProcessed: true,
    processed: plan.signups + plan.support,
    contacts: { n: plan.signups, customers: plan.signups, max_writes: 1 },
    supportNotes: plan.support,
    notesDoubled: 0,
    undoneDeliveries: 0,
    openFailures: 0,
  });
  expect(outcome.duplicates).toBeGreaterThanOrEqual(plan.redeliveries);
  // No process was restarted to follow the promoted replica.
  expect(r.procs.every((p) => p.child.exitCode === null && p.child.signalCode === null)).toBe(true);
  expect(r.readyFailed).toBe(true);
  expect(r.readyAtEnd).toBe(200);
}
