import { eq, schema } from "@switchyard/db";
import {
  appEventRequest,
  checkoutCompleted,
  FakeHubspot,
  invoicePaid,
  invoicePaymentFailed,
  signStripe,
  stripeEvent,
} from "@switchyard/testkit";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KEYS, type System, startSystem, until } from "./testing/system.ts";

const T0 = Math.floor(Date.now() / 1000) - 3_600;
const auth = { authorization: `Bearer ${KEYS.app}` };

interface Status {
  entitled: boolean;
  plan: string | null;
  systems: Record<"billing" | "crm" | "support", { state: string; reason: string | null; since: string | null }>;
  orders: unknown[];
  nextStep: { code: string; message: string };
}
interface EventStatus {
  eventId: string;
  status: string;
  consumers: { queue: string; job: string; state: string; reason: string | null; attempts: number }[];
}

/** The app's read-only API against the whole system: real workers, HubSpot faked at its HTTP boundary. */
describe("GET /v1/customers/{userId}/status and GET /v1/events/{id}", () => {
  let sys: System;
  let hubspot: FakeHubspot;
  beforeAll(async () => {
    hubspot = await FakeHubspot.start({ token: "pat-status-e2e" });
    sys = await startSystem({
      label: "customer_status",
      env: {
        HUBSPOT_ACCESS_TOKEN: "pat-status-e2e",
        HUBSPOT_API_BASE: hubspot.url,
        // A hung HubSpot is a crm_timeout after this; two attempts, then parked.
        PROVIDER_TIMEOUT_MS: "300",
        RETRY_ATTEMPTS: "2",
        RETRY_BACKOFF_MS: "400",
      },
    });
  });
  afterEach(() => hubspot.heal());
  afterAll(async () => {
    await sys?.close();
    await hubspot?.close();
  });

  const signup = async (userId: string, key = `signup-${userId}`) => {
    const res = await sys.post(
      "/v1/events",
      appEventRequest({
        payload: { type: "user.signed_up", data: { userId, email: `${userId}@example.com` } },
        apiKey: KEYS.app,
        idempotencyKey: key,
      }),
    );
    return ((await res.json()) as { eventId: string }).eventId;
  };
  const stripe = (payload: object) => sys.post("/webhooks/stripe", signStripe({ payload, secret: KEYS.stripe }));
  const status = async (userId: string) => {
    const res = await sys.get(`/v1/customers/${encodeURIComponent(userId)}/status`, auth);
    return { code: res.status, body: (await res.json()) as Status & { error?: { code: string } } };
  };

  it("while HubSpot is down: CRM pending while retrying, then failed with crm_timeout; next step none", async () => {
    hubspot.fail({ hang: true });
    const eventId = await signup("u-crm-down");
    const retrying = await until(async () => {
      const s = await status("u-crm-down");
      return s.code === 200 && s.body.systems.crm.state === "pending" && s.body;
    }, "CRM pending");
    expect(retrying.nextStep.code).toBe("none");
    const failed = await until(async () => {
      const s = await status("u-crm-down");
      return s.body.systems.crm.state === "failed" && s.body;
    }, "CRM failed");
    expect(failed.systems.crm).toMatchObject({ state: "failed", reason: "crm_timeout" });
    expect(failed.systems.billing.state).toBe("in_sync");
    expect(failed.nextStep).toEqual({ code: "none", message: expect.any(String) });

    // The event itself, by id and by the Idempotency-Key it was sent with: each consumer's state.
    // The event is settled `failed` just after its job is parked.
    const byId = await until(async () => {
      const e = (await (await sys.get(`/v1/events/${eventId}`, auth)).json()) as EventStatus;
      return e.status === "failed" && e;
    }, "event failed");
    expect(byId.eventId).toBe(eventId);
    expect(byId.consumers).toEqual([
      expect.objectContaining({ queue: "crm-sync", job: "app.user.signed_up", state: "failed", reason: "crm_timeout" }),
    ]);
    const byKey = await sys.get(`/v1/events?idempotencyKey=${encodeURIComponent("signup-u-crm-down")}`, auth);
    expect(((await byKey.json()) as EventStatus).eventId).toBe(eventId);
  });

  it("after a declined card: update_card; after a payment needing the bank's confirmation: retry_payment", async () => {
    await signup("u-card");
    await stripe(checkoutCompleted({ customer: "cus_card", userId: "u-card", plan: "pro", created: T0 }));
    await stripe(invoicePaid({ customer: "cus_card", plan: "pro", created: T0 + 1 }));
    await sys.waitForIdle();
    const paid = await status("u-card");
    expect(paid.body).toMatchObject({ entitled: true, plan: "pro", nextStep: { code: "none" } });
    expect(paid.body.systems).toMatchObject({ billing: { state: "in_sync" }, crm: { state: "in_sync" } });

    await stripe(invoicePaymentFailed({ customer: "cus_card", plan: "pro", created: T0 + 60 }));
    await sys.waitForIdle();
    expect((await status("u-card")).body.nextStep.code).toBe("update_card");

    const action = invoicePaymentFailed({ customer: "cus_card", plan: "pro", created: T0 + 120 });
    await stripe({ ...action, type: "invoice.payment_action_required" });
    await sys.waitForIdle();
    expect((await status("u-card")).body.nextStep.code).toBe("retry_payment");
  });

  it("never answers with another user's data: unknown ids are 404 in the error shape, and the key is required", async () => {
    await signup("u-known");
    for (const userId of ["u-unknown", "u-know", "U-KNOWN", "u-known%", "%"]) {
      const s = await status(userId);
      expect(s.code, userId).toBe(404);
      expect(s.body.error).toMatchObject({
        code: "not_found",
        message: expect.any(String),
        requestId: expect.any(String),
      });
    }
    expect((await sys.get("/v1/customers/u-known/status")).status).toBe(401);
    expect((await sys.get("/v1/customers/u-known/status", { authorization: "Bearer sy_wrong" })).status).toBe(401);

    const unknown = await sys.get("/v1/events/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", auth);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("not_found");
    expect((await sys.get("/v1/events/not-a-uuid", auth)).status).toBe(404);
    // A provider's event is not the app's to read.
    const evt = stripeEvent("product.created", { id: "prod_x", object: "product" });
    await stripe(evt);
    const { events } = schema;
    const [row] = await sys.dbHandle.db.select().from(events).where(eq(events.sourceEventId, evt.id));
    expect(row).toBeDefined();
    expect((await sys.get(`/v1/events/${row?.id}`, auth)).status).toBe(404);
    expect((await sys.get(`/v1/events/${row?.id}`)).status).toBe(401);
  });
});
