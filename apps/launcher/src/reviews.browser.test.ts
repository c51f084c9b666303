import { saveAccount } from "@switchyard/admin";
import { eq, schema } from "@switchyard/db";
import { appEventRequest, FakeStripe } from "@switchyard/testkit";
import type { Browser, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { payingCustomer } from "./testing/action-fixtures.ts";
import { launchChromium, signInThroughForm } from "./testing/browser.ts";
import { KEYS, type System, startSystem, until } from "./testing/system.ts";

const OPERATOR = { user: "olive", password: "reviews-browser-operator-pw" };

/** What a person sees in an element: its rendered text, hidden parts left out. */
// biome-ignore lint/performance/useDomNodeTextContent: the rendered, visible text is what these tests assert
const seen = (l: Locator) => l.innerText();

interface Answer {
  actionId: string;
  status: string;
  reasonCode?: string;
}

/**
 * A refund from the app's assistant, through the gateway's policy to an operator's Approve in the
 * console, in headless Chromium, with Stripe as the fake that counts refunds and keys.
 */
describe("a refund through the review inbox", () => {
  let sys: System;
  let stripe: FakeStripe;
  let browser: Browser;

  beforeAll(async () => {
    stripe = await FakeStripe.start({ secretKey: "sk_test_reviews" });
    sys = await startSystem({
      label: "reviews_browser",
      admin: true,
      env: {
        STRIPE_SECRET_KEY: "sk_test_reviews",
        STRIPE_API_BASE: stripe.url,
        PROVIDER_TIMEOUT_MS: "2000",
        ADMIN_USER: "ops",
        ADMIN_PASSWORD: "reviews-browser-admin-password",
      },
    });
    await saveAccount(sys.dbHandle.db, { name: OPERATOR.user, role: "operator", password: OPERATOR.password });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await sys?.close();
    await stripe?.close();
  });

  const propose = async (payload: object): Promise<Answer> => {
    const res = await sys.post("/v1/actions", appEventRequest({ payload, apiKey: KEYS.app }));
    expect(res.status).toBe(202);
    return (await res.json()) as Answer;
  };
  const refund = (customer: string, amount: number) => ({
    type: "refund",
    customer,
    params: { amount },
    reason: "the customer says the export was broken all month",
    proposedBy: "model",
  });

  it("rejects a refund of a payment already refunded, or larger than what was paid, with a reason code", async () => {
    const refunded = await payingCustomer(sys, stripe, "refunded", { refundedAt: new Date() });
    expect(await propose(refund(refunded.userId, 4_900))).toMatchObject({
      status: "rejected",
      reasonCode: "already_refunded",
    });
    const paid = await payingCustomer(sys, stripe, "greedy");
    expect(await propose(refund(paid.userId, 49_000))).toMatchObject({
      status: "rejected",
      reasonCode: "exceeds_amount_paid",
    });
  });

  it("queues a valid one; an operator approves it in the console: one refund at Stripe, even after a lost answer and a second click", async () => {
    const ada = await payingCustomer(sys, stripe, "ada");
    const { actionId, status } = await propose(refund(ada.userId, 4_900));
    expect(status).toBe("queued_for_review");

    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const open = async (): Promise<Page> => {
      const page = await context.newPage();
      await page.goto(`${sys.adminUrl}/console/reviews`);
      return page;
    };
    const first = await context.newPage();
    await signInThroughForm(first, `${sys.adminUrl}/console/reviews`, OPERATOR);
    const second = await open();

    const row = (page: Page) => page.locator(`tr[data-kind="refund"]`, { hasText: "ada@example.com" });
    const context1 = await seen(row(first).getByTestId("customer-context"));
    expect(context1).toContain("49.00 USD");
    expect(context1).toMatch(/pro \(active, entitled\)/);
    expect(await seen(row(first))).toContain("refunds always need a person");

    // The first Approve reaches admin, but its answer never comes back to the browser.
    let delivered = 0;
    await first.route("**/console/reviews/*/approve", async (route) => {
      await route.fetch();
      delivered += 1;
      await route.abort("connectionreset");
    });
    await row(first).getByRole("button", { name: "Approve" }).click();
    await until(async () => delivered === 1, "the first approval to reach admin");

    // The operator tries again from the page still open in another tab.
    await row(second).getByRole("button", { name: "Approve" }).click();
    await second.getByText("Already approved: nothing was run again.").waitFor();

    await sys.waitForIdle();
    await until(async () => stripe.money.refunds.length > 0, "the refund");
    expect(stripe.money.refunds).toHaveLength(1);
    expect(stripe.money.refunds[0]).toMatchObject({ charge: ada.charge, amount: 4_900 });
    const posts = stripe.received.filter((r) => r.method === "POST" && r.path === "/v1/refunds");
    expect(posts.map((r) => r.headers["idempotency-key"])).toEqual([`action-${actionId}`]);

    const [action] = await sys.dbHandle.db.select().from(schema.actions).where(eq(schema.actions.id, actionId));
    expect(action).toMatchObject({ status: "executed" });
    const [item] = await sys.dbHandle.db
      .select()
      .from(schema.reviewItems)
      .where(eq(schema.reviewItems.actionId, actionId));
    expect(item).toMatchObject({ status: "done", decision: "approved", decidedBy: OPERATOR.user });
    const audit = await sys.dbHandle.db
      .select()
      .from(schema.auditLog)
      .where(eq(schema.auditLog.target, item?.id ?? ""));
    expect(audit.map((a) => [a.actor, a.action])).toEqual([[OPERATOR.user, "review.approve"]]);

    // The inbox shows it decided, by whom, and that it ran.
    const after = await open();
    await after.goto(`${sys.adminUrl}/console/reviews?status=done`);
    expect(await seen(row(after).getByTestId("decision"))).toContain(`approved by ${OPERATOR.user}`);
    expect(await seen(row(after))).toContain("action executed");
    await context.close();
  });
});
