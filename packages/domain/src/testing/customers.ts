import { randomUUID } from "node:crypto";
import { type Db, schema } from "@switchyard/db";

const DAY = 86_400_000;

/**
 * A subscriber as billing-sync leaves one: active on pro, entitled, paid 49.00 a day ago. Its last
 * payment went through `transaction` (a Charge, `ch_`, or a PaymentIntent, `pi_`); `over` replaces any column.
 */
export async function payingCustomer(
  db: Db,
  transaction: "ch" | "pi",
  over: Partial<typeof schema.customers.$inferInsert> = {},
) {
  const userId = `u-${randomUUID().slice(0, 8)}`;
  const [row] = await db
    .insert(schema.customers)
    .values({
      externalId: userId,
      email: `${userId}@example.com`,
      stripeCustomerId: `cus_${userId}`,
      stripeSubscriptionId: `sub_${userId}`,
      subscriptionStatus: "active",
      plan: "pro",
      entitled: true,
      lastPaymentId: `in_${userId}`,
      lastPaymentTransactionId: `${transaction}_${userId.replace("-", "")}`,
      lastPaymentAmount: 4_900,
      lastPaymentCurrency: "usd",
      lastPaymentAt: new Date(Date.now() - DAY),
      ...over,
    })
    .returning();
  if (!row) throw new Error("no customer");
  return row;
}
