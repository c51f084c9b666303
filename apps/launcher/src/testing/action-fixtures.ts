import { schema } from "@switchyard/db";
import type { FakeStripe } from "@switchyard/testkit";
import type { System } from "./system.ts";

/**
 * A paying customer as billing-sync leaves one after `checkout.session.completed` and
 * `invoice.paid` (the row), the same charge at the Stripe fake, and a ticket of theirs in the
 * local desk: what the action gateway's policy and the actions worker read.
 */
export async function payingCustomer(
  sys: System,
  stripe: FakeStripe,
  key: string,
  opts: { amount?: number; refundedAt?: Date } = {},
) {
  const amount = opts.amount ?? 4_900;
  const charge = `ch_${key.replace(/[^A-Za-z0-9]/g, "")}`;
  const sub = `sub_${key.replace(/[^A-Za-z0-9]/g, "")}`;
  stripe.money.setCharge({ id: charge, amount, customer: `cus_${key}` });
  stripe.setSubscription({ id: sub, customer: `cus_${key}`, status: "active", plan: "pro" });
  const [customer] = await sys.dbHandle.db
    .insert(schema.customers)
    .values({
      externalId: `u-${key}`,
      email: `${key}@example.com`,
      stripeCustomerId: `cus_${key}`,
      stripeSubscriptionId: sub,
      subscriptionStatus: "active",
      plan: "pro",
      entitled: true,
      lastPaymentId: `in_${key.replace(/[^A-Za-z0-9]/g, "")}`,
      lastPaymentTransactionId: charge,
      lastPaymentAmount: amount,
      lastPaymentCurrency: "usd",
      lastPaymentAt: new Date(Date.now() - 3_600_000),
      lastRefundAt: opts.refundedAt ?? null,
    })
    .returning();
  if (!customer) throw new Error("no customer");
  const ticketId = `t-${key}`;
  await sys.dbHandle.db.insert(schema.supportTickets).values({ externalId: ticketId, customerId: customer.id });
  return { customer, userId: `u-${key}`, charge, ticketId, amount };
}
