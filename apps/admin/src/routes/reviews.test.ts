import { createLogger } from "@switchyard/config";
import { schema, sql } from "@switchyard/db";
import { proposeAction } from "@switchyard/domain";
import { createAlerter } from "@switchyard/queue";
import { FakeServer } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startReviewAgeChecker } from "../review-age-checker.ts";
import { type AdminHarness, CREDS, createAdminHarness, ORIGIN } from "../testing/harness.ts";

const HOUR = 3_600_000;

/** The inbox's JSON API and its age alert, on the real admin app, Postgres and Redis. */
describe("the review inbox API", () => {
  let h: AdminHarness;
  let hook: FakeServer;
  let customerId = "";
  beforeAll(async () => {
    h = await createAdminHarness("reviews_api");
    hook = await new FakeServer((req) => (req.path === "/hook" ? () => ({ status: 200 }) : undefined)).start();
    const [c] = await h.dbHandle.db
      .insert(schema.customers)
      .values({
        externalId: "u-rev",
        email: "rev@example.com",
        plan: "pro",
        subscriptionStatus: "active",
        stripeSubscriptionId: "sub_rev",
        entitled: true,
        lastPaymentTransactionId: "ch_rev",
        lastPaymentAmount: 2_000,
        lastPaymentCurrency: "eur",
        lastPaymentAt: new Date(Date.now() - HOUR),
      })
      .returning();
    customerId = c?.id ?? "";
    for (const [key, type, params] of [
      ["r-1", "refund", { amount: 2_000 }],
      ["r-2", "change_plan", { plan: "enterprise" }],
    ] as const) {
      await proposeAction(
        h.dbHandle.db,
        { type, customer: "u-rev", params, reason: "asked nicely", proposedBy: "model" },
        { source: "app", idempotencyKey: key },
      );
    }
  });
  afterAll(async () => {
    await hook.close();
    await h.close();
  });
  const api = (path: string, body?: object) =>
    h.app.request(`${ORIGIN}${path}`, {
      method: body ? "POST" : "GET",
      headers: { authorization: `Bearer ${CREDS.token}`, "content-type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  type Listed = {
    reviews: { id: string; kind: string; ageMs: number; customer: { plan: string } }[];
    next: string | null;
  };
  const list = async (query: string) => (await (await api(`/api/reviews?${query}`)).json()) as Listed;

  it("lists what waits, filtered and paged, with the customer's state beside each item", async () => {
    const all = await list("status=open");
    expect(all.reviews.map((r) => r.kind).sort()).toEqual(["change_plan", "refund"]);
    expect(all.reviews[0]?.customer).toMatchObject({ plan: "pro", lastPaymentAmount: 2_000 });
    expect((await list("type=refund&customer=rev@example.com")).reviews.map((r) => r.kind)).toEqual(["refund"]);
    const first = await list("limit=1");
    expect(first.reviews).toHaveLength(1);
    const second = await list(`limit=1&before=${first.next}`);
    expect(second.reviews.map((r) => r.id)).not.toContain(first.reviews[0]?.id);
    expect((await list(`customer=${customerId}&status=done`)).reviews).toEqual([]);
  });

  it("approves only params that pass the policy again, and rejects only with a note", async () => {
    const [refund] = (await list("type=refund")).reviews;
    const tooMuch = await api(`/api/reviews/${refund?.id}/approve`, { params: { amount: 2_001 } });
    expect(tooMuch.status).toBe(409);
    expect(((await tooMuch.json()) as { error: { message: string } }).error.message).toMatch(/^exceeds_amount_paid/);
    const malformed = await api(`/api/reviews/${refund?.id}/approve`, { params: { amount: "all" } });
    expect(malformed.status).toBe(400);
    const [plan] = (await list("type=change_plan")).reviews;
    expect((await api(`/api/reviews/${plan?.id}/reject`, {})).status).toBe(400);
    const rejected = await api(`/api/reviews/${plan?.id}/reject`, { note: "no contract yet" });
    expect(await rejected.json()).toMatchObject({ status: "rejected", already: false });
    expect((await api(`/api/reviews/${plan?.id}/approve`, {})).status).toBe(409);
    expect((await api("/api/reviews/not-a-uuid/approve", {})).status).toBe(404);
    const approved = await api(`/api/reviews/${refund?.id}/approve`, { note: "charged twice" });
    expect(await approved.json()).toMatchObject({ status: "approved", already: false });
    const again = await api(`/api/reviews/${refund?.id}/approve`, { note: "charged twice" });
    expect(await again.json()).toMatchObject({ status: "approved", already: true });
    expect(await h.registry.get("actions").getJobCounts("waiting")).toEqual({ waiting: 1 });
  });

  it("alerts once when an item has waited longer than REVIEW_ALERT_AFTER_MS, and once when the inbox catches up", async () => {
    const alerter = createAlerter({
      redis: h.registry.connection,
      prefix: h.config.QUEUE_PREFIX,
      logger: createLogger({ name: "reviews-test", level: "silent" }),
      webhookUrl: `${hook.url}/hook`,
      windowMs: h.config.ALERT_WINDOW_MS,
      adminUrl: "http://admin.test",
    });
    const opts = { db: h.dbHandle.db, redis: h.registry.connection, prefix: h.config.QUEUE_PREFIX, alerter };
    const logger = createLogger({ name: "reviews-test", level: "silent" });
    // The default threshold, as deployments run it: an item five hours old is over it.
    const [a, b] = [h.config.REVIEW_ALERT_AFTER_MS, h.config.REVIEW_ALERT_AFTER_MS].map((olderThanMs) =>
      startReviewAgeChecker({ ...opts, logger, olderThanMs }),
    );
    expect(h.config.REVIEW_ALERT_AFTER_MS).toBe(4 * HOUR);
    expect(await a?.check()).toEqual({ count: 0, oldestAgeMs: 0 });
    const [old] = await h.dbHandle.db
      .insert(schema.reviewItems)
      .values({ kind: "account_deletion", reason: "message asks for account deletion", customerId })
      .returning();
    await h.dbHandle.db.execute(
      sql`update review_items set created_at = now() - interval '5 hours' where id = ${old?.id}`,
    );
    await a?.check();
    await b?.check();
    await a?.check();
    const texts = () => hook.received.map((r) => (r.body as { text: string }).text);
    expect(texts()).toHaveLength(1);
    expect(texts()[0]).toMatch(/1 review item\(s\) waiting for a person longer than 4 h 0 min; the oldest for 5 h/);
    expect(texts()[0]).toContain("<http://admin.test/console/reviews|review inbox>");
    await h.dbHandle.db.execute(sql`update review_items set status = 'dismissed' where id = ${old?.id}`);
    await b?.check();
    await a?.check();
    expect(texts()).toHaveLength(2);
    expect(texts()[1]).toContain("the review inbox has caught up");
    await a?.close();
    await b?.close();
  });
});
