import { randomUUID } from "node:crypto";
import { type Db, eq, or, schema } from "@switchyard/db";

export type Customer = typeof schema.customers.$inferSelect;

export interface CustomerKeys {
  stripeCustomerId?: string | null | undefined;
  externalId?: string | null | undefined;
  email?: string | null | undefined;
}

export const normalizeEmail = (email: string | null | undefined) => (email ? email.trim().toLowerCase() : null);

/** A customer row as the table's defaults make it, known by the keys, before it is inserted. */
export function newCustomer(keys: CustomerKeys, id: string = randomUUID(), at = new Date()): Customer {
  return {
    id,
    externalId: keys.externalId ?? null,
    email: keys.email ?? null,
    name: null,
    stripeCustomerId: keys.stripeCustomerId ?? null,
    stripeSubscriptionId: null,
    plan: null,
    subscriptionStatus: null,
    statusVersionAt: null,
    statusRank: 0,
    planVersionAt: null,
    entitled: false,
    currentPeriodEnd: null,
    lastPaymentId: null,
    lastPaymentTransactionId: null,
    lastPaymentAmount: null,
    lastPaymentCurrency: null,
    lastPaymentAt: null,
    lastPaymentFailedAt: null,
    lastRefundAt: null,
    statusOverride: null,
    createdAt: at,
    updatedAt: at,
  };
}

/**
 * Finds the customer matching any key (Stripe id first, then app user id, then email), creating it
 * when none does, and locks the row for the rest of the transaction. Missing keys are filled in.
 */
export async function lockCustomer(tx: Db, keys: CustomerKeys): Promise<Customer> {
  const { customers } = schema;
  const email = normalizeEmail(keys.email);
  const conditions = [
    keys.stripeCustomerId ? eq(customers.stripeCustomerId, keys.stripeCustomerId) : undefined,
    keys.externalId ? eq(customers.externalId, keys.externalId) : undefined,
    email ? eq(customers.email, email) : undefined,
  ].filter((c) => c !== undefined);
  if (conditions.length === 0) throw new Error("a customer needs a Stripe id, a user id or an email");

  for (let round = 0; round < 3; round++) {
    const rows = await tx
      .select()
      .from(customers)
      .where(or(...conditions))
      .for("update");
    const match = pickMatch(rows, keys);
    if (match) return fillKeys(tx, match, { ...keys, email }, rows);
    const [created] = await tx
      .insert(customers)
      .values({ stripeCustomerId: keys.stripeCustomerId ?? null, externalId: keys.externalId ?? null, email })
      .onConflictDoNothing()
      .returning();
    if (created) return created;
    // Another worker created it between our select and insert: read it again.
  }
  throw new Error("customer could not be resolved after concurrent creation");
}

/** Of the rows matching any key, the customer: by Stripe id first, then app user id, then email. */
export const pickMatch = <C extends Customer>(rows: readonly C[], keys: CustomerKeys): C | undefined =>
  rows.find((r) => keys.stripeCustomerId && r.stripeCustomerId === keys.stripeCustomerId) ??
  rows.find((r) => keys.externalId && r.externalId === keys.externalId) ??
  rows[0];

async function fillKeys(tx: Db, match: Customer, keys: CustomerKeys, rows: Customer[]): Promise<Customer> {
  const { customers } = schema;
  const changes = keyPatch(match, keys, rows);
  if (Object.keys(changes).length === 0) return match;
  const [updated] = await tx.update(customers).set(changes).where(eq(customers.id, match.id)).returning();
  return updated ?? match;
}

/** The keys `match` lacks and `keys` carry (email normalized), that no other of `rows` holds. */
export function keyPatch(match: Customer, keys: CustomerKeys, rows: readonly Customer[]): Partial<Customer> {
  // Only claim a key no other row holds; two half-known customers are left apart, not merged.
  const taken = (pick: (c: Customer) => string | null, value: string | null | undefined) =>
    !value || rows.some((r) => r.id !== match.id && pick(r) === value);
  const patch: Partial<Customer> = {};
  if (!match.stripeCustomerId && !taken((c) => c.stripeCustomerId, keys.stripeCustomerId))
    patch.stripeCustomerId = keys.stripeCustomerId ?? null;
  if (!match.externalId && !taken((c) => c.externalId, keys.externalId)) patch.externalId = keys.externalId ?? null;
  if (!match.email && !taken((c) => c.email, keys.email)) patch.email = keys.email ?? null;
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v));
}

export async function findCustomer(
  db: Db,
  by: { id?: string; email?: string; externalId?: string },
): Promise<Customer | undefined> {
  const { customers } = schema;
  const condition = by.id
    ? eq(customers.id, by.id)
    : by.externalId
      ? eq(customers.externalId, by.externalId)
      : by.email
        ? eq(customers.email, normalizeEmail(by.email) ?? "")
        : undefined;
  if (!condition) return undefined;
  const [row] = await db.select().from(customers).where(condition);
  return row;
}
