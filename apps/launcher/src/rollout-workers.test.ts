import { aiTriage } from "@switchyard/ai-triage";
import { billingSync } from "@switchyard/billing-sync";
import { createLogger, parseConfig } from "@switchyard/config";
import { eq, recordEvent, schema } from "@switchyard/db";
import { createProcessor, type Processor, type WorkerDefinition } from "@switchyard/queue";
import { type QueueFixture, queueFixture } from "@switchyard/queue/testing";
import { checkoutCompleted, FakeStripe, FakeZendesk } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// In-process: each worker's processor (the runtime's ledger, real Postgres and Redis) run on one job
// per mode, as a restart with another ROLLOUT_MODES would; rollout.e2e.test.ts does crm-sync end to end.
describe("billing-sync and ai-triage under ROLLOUT_MODES, against the Stripe and Zendesk fakes", () => {
  const logger = createLogger({ name: "rollout-workers-test", level: "silent" });
  let fx: QueueFixture;
  let stripe: FakeStripe;
  let zendesk: FakeZendesk;
  beforeAll(async () => {
    stripe = await FakeStripe.start();
    zendesk = await FakeZendesk.start({ email: "bot@example.com", apiToken: "zd-rollout" });
    fx = await queueFixture("rollout_workers");
  });
  afterAll(async () => {
    await fx?.close();
    await stripe?.close();
    await zendesk?.close();
  });

  const configWith = (modes: string) =>
    parseConfig({
      NODE_ENV: "test",
      DATABASE_URL: fx.databaseUrl,
      QUEUE_PREFIX: fx.prefix,
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_API_BASE: stripe.url,
      ZENDESK_API_BASE: zendesk.url,
      ZENDESK_EMAIL: "bot@example.com",
      ZENDESK_API_TOKEN: "zd-rollout",
      ROLLOUT_MODES: modes,
    });
  let seq = 0;
  /** Records the event as ingest would, then runs its one job through the worker's processor. */
  async function run(def: WorkerDefinition, modes: string, source: string, type: string, payload: unknown) {
    const sourceEventId = `ro-${seq++}`;
    const { event } = await recordEvent(fx.handle.db, {
      source,
      sourceEventId,
      type,
      payloadHash: sourceEventId,
      payload,
      status: "received",
      queues: [def.queue],
      receivedAt: new Date(),
    });
    const processor = createProcessor(def, {
      config: configWith(modes),
      db: fx.handle.db,
      logger,
      registry: fx.registry,
    });
    const envelope = { eventId: event.id, source, sourceEventId, type, receivedAt: new Date().toISOString(), payload };
    // One attempt: billing-sync does not wait for a signup to link a Stripe customer nobody signed up as.
    const job = { id: `ro-job-${seq}`, name: type, data: envelope, attemptsMade: 0, opts: { attempts: 1 } };
    await processor(job as unknown as Parameters<Processor>[0]);
    return event.id;
  }
  const shadowOf = (eventId: string) =>
    fx.handle.db.select().from(schema.shadowWrites).where(eq(schema.shadowWrites.eventId, eventId));
  const writesAt = (fake: FakeStripe | FakeZendesk) => fake.received.filter((r) => r.method !== "GET");

  it("billing-sync in shadow applies the billing state, records the Stripe tag instead of making it; live tags", async () => {
    stripe.setSubscription({ id: "sub_ro1", customer: "cus_ro1", status: "active", plan: "pro" });
    const shadowed = await run(
      billingSync,
      "billing-sync=shadow",
      "stripe",
      "stripe.checkout.session.completed",
      checkoutCompleted({ customer: "cus_ro1", subscription: "sub_ro1", email: "ro1@example.com" }),
    );
    expect(writesAt(stripe)).toHaveLength(0);
    const [customer] = await fx.handle.db
      .select()
      .from(schema.customers)
      .where(eq(schema.customers.stripeCustomerId, "cus_ro1"));
    expect(customer).toMatchObject({ subscriptionStatus: "active", plan: "pro" });
    const rows = await shadowOf(shadowed);
    expect(rows.map((w) => [w.queue, w.source, w.provider, w.operation, w.target, w.customerId])).toEqual([
      ["billing-sync", "stripe", "stripe", "link_customer", "cus_ro1", customer?.id],
    ]);
    expect(rows[0]?.request).toEqual({ metadata: { switchyard_customer_id: customer?.id } });

    stripe.setSubscription({ id: "sub_ro2", customer: "cus_ro2", status: "active", plan: "pro" });
    const lived = await run(
      billingSync,
      "",
      "stripe",
      "stripe.checkout.session.completed",
      checkoutCompleted({ customer: "cus_ro2", subscription: "sub_ro2", email: "ro2@example.com" }),
    );
    expect(writesAt(stripe).map((r) => r.path)).toEqual(["/v1/customers/cus_ro2"]);
    expect(stripe.customers.get("cus_ro2")?.metadata).toMatchObject({ switchyard_customer_id: expect.any(String) });
    expect(await shadowOf(lived)).toHaveLength(0);
  });

  it("ai-triage in shadow makes no Zendesk call and records each desk write once; live writes; off skips", async () => {
    const ask = (n: number) => ({
      type: "support.requested",
      data: {
        userId: `u-ro-${n}`,
        email: `ro-desk${n}@example.com`,
        subject: "Charged twice",
        message: "I was charged twice this month, please refund the duplicate charge.",
      },
    });
    const shadowed = await run(aiTriage, "ai-triage=shadow", "app", "app.support.requested", ask(1));
    expect(zendesk.received).toHaveLength(0);
    const rows = await shadowOf(shadowed);
    const operations = rows.map((w) => w.operation);
    expect(operations[0]).toBe("ensure_ticket");
    expect(operations).toContain("update_ticket");
    expect(new Set(operations.map((o, i) => `${o}:${rows[i]?.idempotencyKey}`)).size).toBe(rows.length);
    expect(rows.every((w) => w.queue === "ai-triage" && w.provider === "zendesk")).toBe(true);
    // Switchyard's own record of the triage is kept in shadow.
    const [result] = await fx.handle.db
      .select()
      .from(schema.triageResults)
      .where(eq(schema.triageResults.eventId, shadowed));
    expect(result?.ticketExternalId).toBe(`app-${shadowed}`);

    const lived = await run(aiTriage, "", "app", "app.support.requested", ask(2));
    expect(await shadowOf(lived)).toHaveLength(0);
    const written = writesAt(zendesk).map((r) => `${r.method} ${r.path.split("?")[0]}`);
    expect(written[0]).toBe("POST /api/v2/tickets.json");
    expect(written).toContain(`PUT /api/v2/tickets/${[...zendesk.tickets.keys()][0]}.json`);
    // One write at the desk for each entry shadow recorded (the ticket, its update, any draft note).
    expect(written.length).toBe(rows.length);

    const before = zendesk.received.length;
    const skipped = await run(aiTriage, "app=off", "app", "app.support.requested", ask(3));
    expect(zendesk.received).toHaveLength(before);
    expect(await shadowOf(skipped)).toHaveLength(0);
  });
});
