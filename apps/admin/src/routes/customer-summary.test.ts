import { schema } from "@switchyard/db";
import { FakeOpenAI } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AdminHarness, createAdminHarness } from "../testing/harness.ts";

const customer = {
  externalId: "u-summary",
  email: "summary@example.com",
  stripeCustomerId: "cus_SummarySecretish",
  plan: "pro",
  subscriptionStatus: "active",
  entitled: true,
  lastPaymentId: "in_summary_1",
  lastPaymentTransactionId: "ch_summary_txn_1",
  lastPaymentAmount: 4900,
  lastPaymentCurrency: "usd",
  lastPaymentAt: new Date("2026-11-30T10:00:00Z"),
};

interface Summary {
  customerId: string;
  summary: string;
  source: string;
  facts: Record<string, unknown>;
}

describe("GET /api/customers/{key}/summary", () => {
  let openai: FakeOpenAI;
  let plain: AdminHarness;
  let withModel: AdminHarness;
  beforeAll(async () => {
    openai = await FakeOpenAI.start();
    plain = await createAdminHarness("summary_code");
    withModel = await createAdminHarness("summary_model", {
      env: { OPENAI_API_KEY: openai.apiKey, OPENAI_BASE_URL: openai.baseUrl, OPENAI_TIMEOUT_MS: "2000" },
    });
    for (const h of [plain, withModel]) await h.dbHandle.db.insert(schema.customers).values(customer);
  });
  afterAll(async () => {
    await plain?.close();
    await withModel?.close();
    await openai?.close();
  });

  const summary = async (h: AdminHarness, key: string) => {
    const res = await h.get(`/api/customers/${encodeURIComponent(key)}/summary`);
    return { status: res.status, body: (await res.json()) as Summary & { error?: { code: string } } };
  };

  it("without OPENAI_API_KEY, writes it in code from safe fields only", async () => {
    const { status, body } = await summary(plain, "u-summary");
    expect(status).toBe(200);
    expect(body.source).toBe("code");
    expect(body.summary).toContain("pro plan");
    expect(body.summary).toContain("49.00 USD");
    const text = JSON.stringify(body);
    for (const unsafe of ["cus_SummarySecretish", "ch_summary_txn_1", "in_summary_1"])
      expect(text).not.toContain(unsafe);
  });

  it("with a key, the model writes it from the safe facts, with no tool it could call, and it is sanitized", async () => {
    openai.respondWith(
      () =>
        "Pro customer, paid 49.00 USD. Key sk_live_51HqLyjWDarjtT1zdp7dcXkQ9, see javascript:alert(1) or https://evil.example/x",
    );
    const { body } = await summary(withModel, "summary@example.com");
    expect(body.source).toBe("model");
    expect(body.summary).toContain("Pro customer, paid 49.00 USD.");
    for (const leaked of ["sk_live_", "javascript:", "evil.example"]) expect(body.summary).not.toContain(leaked);
    const request = openai.received.at(-1)?.body as { tools?: unknown; functions?: unknown; messages: unknown[] };
    expect(request.tools).toBeUndefined();
    expect(request.functions).toBeUndefined();
    const sent = JSON.stringify(request.messages);
    for (const unsafe of ["cus_SummarySecretish", "ch_summary_txn_1", "in_summary_1", "summary@example.com"])
      expect(sent).not.toContain(unsafe);
  });

  it("falls back to the code-built summary when the model fails", async () => {
    openai.fail({ status: 500, times: 1 });
    const { body } = await summary(withModel, "u-summary");
    expect(body.source).toBe("code");
    expect(body.summary).toContain("pro plan");
  });

  it("answers 404 in the error shape for a customer nobody knows", async () => {
    const { status, body } = await summary(plain, "u-nobody");
    expect(status).toBe(404);
    expect(body.error?.code).toBe("not_found");
  });
});
