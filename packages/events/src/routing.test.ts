import { describe, expect, it } from "vitest";
import { jobIdFor } from "./envelope.ts";
import { WORK_QUEUES } from "./queues.ts";
import { failureQueueName, REASON_CODES } from "./reasons.ts";
import { normalizeType, ROUTES, routeFor } from "./routing.ts";

describe("routing", () => {
  it("prefixes types with their source and drops Zendesk's event-type namespace", () => {
    expect(normalizeType("stripe", "invoice.paid")).toBe("stripe.invoice.paid");
    expect(normalizeType("zendesk", "zen:event-type:ticket.created")).toBe("zendesk.ticket.created");
    expect(normalizeType("acme", "zen:event-type:x")).toBe("acme.zen:event-type:x");
  });

  it("routes billing to billing-sync, signups to crm-sync, support to context and triage", () => {
    expect(routeFor("stripe.invoice.payment_failed")).toEqual(["billing-sync"]);
    expect(routeFor("app.user.signed_up")).toEqual(["crm-sync"]);
    expect(routeFor("zendesk.ticket.created")).toEqual(["support-context", "ai-triage"]);
    expect(routeFor("stripe.product.created")).toEqual([]);
  });

  it("only routes to known work queues", () => {
    for (const queues of Object.values(ROUTES)) for (const q of queues) expect(WORK_QUEUES).toContain(q);
  });

  it("derives BullMQ-safe job ids and failure queue names", () => {
    expect(jobIdFor("0b6f0f5e-1111-4aaa-8bbb-123456789abc")).not.toContain(":");
    expect(REASON_CODES.map(failureQueueName)).toContain("failed.crm_timeout");
  });
});
