import { schema } from "@switchyard/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminHarness, createAdminHarness } from "../testing/harness.ts";

describe("console customer page: orders and support records", () => {
  let h: AdminHarness;
  beforeAll(async () => {
    h = await createAdminHarness("console_orders");
    const db = h.dbHandle.db;
    const [buyer] = await db
      .insert(schema.customers)
      .values({ email: "buyer@example.com", externalId: "u-b" })
      .returning();
    const [seller] = await db
      .insert(schema.customers)
      .values({ email: "seller@example.com", externalId: "u-s" })
      .returning();
    await db.insert(schema.orders).values([
      {
        appOrderId: "ord_paid",
        paymentIntentId: "pi_paid",
        buyerCustomerId: buyer?.id,
        sellerCustomerId: seller?.id,
        amount: 2_500,
        currency: "usd",
        state: "paid",
      },
      {
        appOrderId: "ord_<b>odd</b>",
        buyerCustomerId: buyer?.id,
        state: "needs_review",
        reviewReason: "fulfilled before it was paid (pending)",
      },
    ]);
    await db.insert(schema.supportRecords).values({
      dedupeKey: "requirements_due:acct_1:external_account",
      kind: "requirements_due",
      customerId: seller?.id,
      accountId: "acct_1",
      summary: "Seller account acct_1 has requirements due: external_account",
    });
  });
  afterAll(() => h.close());

  it("lists a buyer's orders with their states, escaped", async () => {
    const body = await (await h.get("/console/customers?q=buyer%40example.com")).text();
    expect(body).toContain('data-testid="orders"');
    expect(body).toMatch(/data-order="ord_paid" data-state="paid"/);
    expect(body).toContain("pi_paid");
    expect(body).toContain("fulfilled before it was paid");
    expect(body).not.toContain("<b>odd</b>");
  });

  it("shows a seller's orders as seller and the support records opened for them", async () => {
    const body = await (await h.get("/console/customers?q=seller%40example.com")).text();
    expect(body).toMatch(/<td>ord_paid<\/td>\s*<td>seller<\/td>/);
    expect(body).toContain('data-testid="support-records"');
    expect(body).toContain("requirements due: external_account");
  });
});
