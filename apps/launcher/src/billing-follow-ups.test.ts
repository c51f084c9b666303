import { billingSync } from "@switchyard/billing-sync";
import { createLogger, parseConfig } from "@switchyard/config";
import { recordEvent, rowsOf, sql } from "@switchyard/db";
import { jobIdFor } from "@switchyard/events";
import { createProcessor, type Processor, type QueueRegistry } from "@switchyard/queue";
import { type QueueFixture, queueFixture } from "@switchyard/queue/testing";
import { invoicePaid } from "@switchyard/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// An invoice job completes its delivery in its own write and sends its follow-ups after that
// commit: a run that dies in between must not lose them. The next run finds the delivery
// completed, applies nothing again, and sends them.
type Job = Parameters<Processor>[0];

describe("billing-sync's follow-ups after its delivery completed", () => {
  let fx: QueueFixture;
  const logger = createLogger({ name: "billing-follow-ups", level: "silent" });
  beforeAll(async () => {
    fx = await queueFixture("billing_follow_ups");
  });
  afterAll(() => fx?.close());

  it("a run that died after the completion leaves them to the next, which sends them and writes nothing twice", async () => {
    const { handle, registry } = fx;
    const cus = "cus_follow_ups";
    await handle.db.execute(sql`insert into customers (stripe_customer_id, email) values (${cus}, 'f@example.com')`);
    const payload = invoicePaid({ customer: cus, plan: "pro", amount: 1_900 });
    const { event } = await recordEvent(handle.db, {
      source: "stripe",
      sourceEventId: payload.id,
      type: "stripe.invoice.paid",
      payload,
      payloadHash: "h",
      status: "received",
      queues: ["billing-sync"],
      receivedAt: new Date(),
    });
    const job = {
      id: jobIdFor(event.id),
      name: "stripe.invoice.paid",
      data: {
        eventId: event.id,
        source: "stripe",
        sourceEventId: payload.id,
        type: "stripe.invoice.paid",
        receivedAt: new Date().toISOString(),
        payload,
      },
      attemptsMade: 0,
      opts: { attempts: 3 },
    } as unknown as Job;
    const config = parseConfig({ DATABASE_URL: fx.databaseUrl, QUEUE_PREFIX: fx.prefix });
    // The process dies as it enqueues: Redis refuses every add.
    const dead = {
      get: (queue: string) => ({
        ...registry.get(queue as "crm-sync"),
        add: async () => {
          throw new Error("connection lost");
        },
      }),
    } as unknown as QueueRegistry;
    await expect(createProcessor(billingSync, { config, db: handle.db, logger, registry: dead })(job)).rejects.toThrow(
      /connection lost/,
    );
    const state = async () =>
      rowsOf<{ status: string; delivery: string; lines: number; amount: number }>(
        await handle.db.execute(sql`select e.status, d.status as delivery, c.last_payment_amount as amount,
          (select count(*)::int from customer_timeline t where t.customer_id = c.id) as lines
          from events e join deliveries d on d.event_id = e.id, customers c
          where e.id = ${event.id} and c.stripe_customer_id = ${cus}`),
      );
    const afterCrash = await state();
    expect(afterCrash).toEqual([{ status: "processed", delivery: "completed", lines: 2, amount: 1_900 }]);
    const followUps = async () => ({
      crm: await registry.get("crm-sync").getJob(`${jobIdFor(event.id)}-crm`.replace(/:/g, "-")),
      support: await registry.get("support-context").getJob(`${jobIdFor(event.id)}-support`.replace(/:/g, "-")),
    });
    expect(await followUps()).toEqual({ crm: undefined, support: undefined });

    const again = await createProcessor(billingSync, { config, db: handle.db, logger, registry })({
      ...job,
      attemptsMade: 1,
    } as Job);
    expect(again).toEqual({ skipped: "already delivered" });
    const sent = await followUps();
    expect(sent.crm?.name).toBe("switchyard.customer.changed");
    expect(sent.support?.name).toBe("switchyard.customer.changed");
    const [customer] = rowsOf<{ id: string }>(
      await handle.db.execute(sql`select id::text as id from customers where stripe_customer_id = ${cus}`),
    );
    expect(sent.crm?.data.payload).toEqual({ customerId: customer?.id });
    expect(sent.support?.data.payload).toEqual({ customerId: customer?.id });
    expect(await state()).toEqual(afterCrash);
  });
});
