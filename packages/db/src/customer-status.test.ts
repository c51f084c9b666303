import { describe, expect, it } from "vitest";
import { NEXT_STEPS, type NextStep, nextStep, type SystemStatus, systemStatus } from "./customer-status.ts";
import type { JobStatus } from "./job-states-repo.ts";

const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 12, 0, s));
const job = (state: JobStatus["state"], s: number, more: Partial<JobStatus> = {}) => ({
  eventId: `e${s}`,
  queue: "crm-sync",
  job: "app.user.signed_up",
  state,
  reason: state === "failed" ? "crm_timeout" : null,
  attempts: 1,
  since: at(s),
  receivedAt: at(s),
  ...more,
});
const ok: SystemStatus = { state: "in_sync", reason: null, since: null };
const systems = (over: Partial<Record<"billing" | "crm" | "support", SystemStatus>>) => ({
  billing: ok,
  crm: ok,
  support: ok,
  ...over,
});
const paid = { outstanding: false, failureType: null };

describe("a system's sync state from its jobs", () => {
  it("is in sync with nothing to do, or when every job completed", () => {
    expect(systemStatus([])).toEqual({ state: "in_sync", reason: null, since: null });
    expect(systemStatus([job("completed", 1), job("completed", 5)])).toEqual({
      state: "in_sync",
      reason: null,
      since: at(5).toISOString(),
    });
  });

  it("is failed with the reason and since when, and pending while waiting or re-driven", () => {
    expect(systemStatus([job("completed", 1), job("failed", 3), job("pending", 4)])).toEqual({
      state: "failed",
      reason: "crm_timeout",
      since: at(3).toISOString(),
    });
    expect(systemStatus([job("pending", 4)])).toMatchObject({ state: "pending", since: at(4).toISOString() });
    expect(systemStatus([job("retrying", 4, { reason: "crm_timeout" })])).toMatchObject({
      state: "pending",
      reason: "crm_timeout",
    });
  });

  it("forgets a failure a later completed sync superseded, and a discarded one", () => {
    expect(systemStatus([job("failed", 1), job("completed", 2)]).state).toBe("in_sync");
    expect(systemStatus([job("discarded", 1)]).state).toBe("in_sync");
    expect(systemStatus([job("completed", 1), job("failed", 2)]).state).toBe("failed");
  });
});

describe("the next step the app shows", () => {
  const failed = (reason: string): SystemStatus => ({ state: "failed", reason, since: at(1).toISOString() });
  const pending: SystemStatus = { state: "pending", reason: null, since: at(1).toISOString() };
  const walk: [NextStep, ReturnType<typeof systems>, typeof paid | { outstanding: boolean; failureType: string }][] = [
    ["none", systems({}), paid],
    // The CRM is Switchyard's bookkeeping: down or slow, the user has nothing to do.
    ["none", systems({ crm: failed("crm_timeout") }), paid],
    ["none", systems({ crm: pending }), paid],
    ["update_card", systems({}), { outstanding: true, failureType: "stripe.invoice.payment_failed" }],
    ["retry_payment", systems({}), { outstanding: true, failureType: "stripe.invoice.payment_action_required" }],
    ["contact_support", systems({ billing: failed("upstream_unavailable") }), paid],
    ["contact_support", systems({ support: failed("support_timeout") }), paid],
    ["wait", systems({ billing: pending }), paid],
    ["wait", systems({ support: pending }), paid],
  ];
  it.each(walk)("%s", (code, s, payment) => {
    const step = nextStep(s, payment);
    expect(step.code).toBe(code);
    expect(step.message.length).toBeGreaterThan(10);
  });

  it("walks every step there is", () => {
    expect(new Set(walk.map(([code]) => code))).toEqual(new Set(NEXT_STEPS));
  });
});
