import { schema } from "@switchyard/db";
import { appEventRequest, type RedisServer, startRedisServer } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, post, SECRETS } from "../testing/harness.ts";

/** The gateway's HTTP edge; the policy itself is tested in packages/domain, the runs in the launcher. */
describe("POST /v1/actions", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ driver: "postgres", label: "actions_route" });
    await h.dbHandle.db.insert(schema.customers).values({
      externalId: "u-act",
      email: "u-act@example.com",
      lastPaymentTransactionId: "ch_act",
      lastPaymentAmount: 4_900,
      lastPaymentAt: new Date(Date.now() - 60_000),
    });
    await h.dbHandle.db.insert(schema.supportTickets).values({ externalId: "t-act" });
  });
  afterAll(() => h.close());
  const propose = (payload: object, opts: { key?: string; apiKey?: string } = {}) =>
    post(
      h,
      "/v1/actions",
      appEventRequest({
        payload,
        apiKey: opts.apiKey ?? SECRETS.appKey,
        idempotencyKey: opts.key ?? crypto.randomUUID(),
      }),
    );
  const actionRows = () => h.dbHandle.db.select().from(schema.actions);

  it("refuses a wrong key (401) and a missing Idempotency-Key (400) before writing anything", async () => {
    const refund = { type: "refund", customer: "u-act", params: { amount: 100 }, proposedBy: "model" };
    const wrong = await propose(refund, { apiKey: "sy_guess" });
    expect(wrong.status).toBe(401);
    const req = appEventRequest({ payload: refund, apiKey: SECRETS.appKey });
    delete req.headers["idempotency-key"];
    const missing = await post(h, "/v1/actions", req);
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
    expect(await actionRows()).toEqual([]);
  });

  it("answers each decision: queued for review, rejected with a reason code, executed at once for low risk", async () => {
    const refund = await propose({ type: "refund", customer: "u-act", params: { amount: 4_900 }, proposedBy: "model" });
    expect(refund.status).toBe(202);
    expect(await refund.json()).toMatchObject({ status: "queued_for_review", reason: "refunds always need a person" });
    const tooMuch = await propose({ type: "refund", customer: "u-act", params: { amount: 9_900 }, proposedBy: "user" });
    expect(await tooMuch.json()).toMatchObject({ status: "rejected", reasonCode: "refund_pending" });
    const tag = await propose({
      type: "tag_ticket",
      customer: "u-act",
      params: { ticketId: "t-act", tags: ["billing"] },
      proposedBy: "model",
    });
    const { actionId, status } = (await tag.json()) as { actionId: string; status: string };
    expect(status).toBe("executed");
    const [run] = await h.eventRows(`action-${actionId}`);
    expect(run).toMatchObject({ source: "switchyard", type: "switchyard.action.execute", queues: ["actions"] });
    expect(await h.jobExists("actions", run?.id ?? "")).toBe(true);
  });

  it("answers the first decision again for the same key and body, 409 for another body, 400 for a malformed one", async () => {
    const body = {
      type: "set_ticket_priority",
      customer: "u-act",
      params: { ticketId: "t-act", priority: "high" },
      proposedBy: "rule",
    };
    const first = await propose(body, { key: "prio-1" });
    const again = await propose(body, { key: "prio-1" });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ ...((await first.json()) as object), duplicate: true });
    const other = await propose({ ...body, params: { ticketId: "t-act", priority: "low" } }, { key: "prio-1" });
    expect(other.status).toBe(409);
    const bad = await propose({ type: "wire_money", customer: "u-act", params: {}, proposedBy: "model" });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe("invalid_payload");
  });
});

describe("POST /v1/actions while Redis is away", () => {
  let redis: RedisServer;
  let h: Harness;
  beforeAll(async () => {
    redis = await startRedisServer();
    h = await createHarness({ driver: "postgres", label: "actions_outage", redisUrl: redis.url });
    const [c] = await h.dbHandle.db.insert(schema.customers).values({ externalId: "u-out" }).returning();
    await h.dbHandle.db.insert(schema.supportTickets).values({ externalId: "t-out", customerId: c?.id ?? null });
  });
  afterAll(async () => {
    await redis.start().catch(() => {});
    await h.close();
    await redis.stop();
  });

  it("answers 503 with Retry-After, keeps the decision, and sends its run when the app retries", async () => {
    const body = {
      type: "tag_ticket",
      customer: "u-out",
      params: { ticketId: "t-out", tags: ["vip"] },
      proposedBy: "user",
    };
    const req = () => appEventRequest({ payload: body, apiKey: SECRETS.appKey, idempotencyKey: "out-1" });
    await redis.stop();
    const res = await post(h, "/v1/actions", req());
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("queue_unavailable");
    const [action] = await h.dbHandle.db.select().from(schema.actions);
    expect(action).toMatchObject({ decision: "executed", status: "approved" });
    await redis.start();
    const again = await post(h, "/v1/actions", req());
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ actionId: action?.id, status: "executed", duplicate: true });
    expect(await h.jobExists("actions", action?.executeEventId ?? "")).toBe(true);
  });
});
