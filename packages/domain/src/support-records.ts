import { and, type Db, desc, eq, inArray, schema, sql } from "@switchyard/db";

type SupportRecordKind = typeof schema.supportRecords.$inferInsert.kind;

export interface NewSupportRecord {
  /** Same key, same record: a dead end is recorded once, however often it is seen. */
  dedupeKey: string;
  kind: SupportRecordKind;
  customerId: string | null;
  orderId?: string | null;
  accountId?: string | null;
  summary: string;
  details?: unknown;
}

/** Opens the record unless its key is taken; true when this call opened it. */
export async function openSupportRecord(db: Db, record: NewSupportRecord): Promise<boolean> {
  const rows = await db
    .insert(schema.supportRecords)
    .values({
      dedupeKey: record.dedupeKey,
      kind: record.kind,
      customerId: record.customerId,
      orderId: record.orderId ?? null,
      accountId: record.accountId ?? null,
      summary: record.summary,
      details: record.details ?? null,
    })
    .onConflictDoNothing()
    .returning({ id: schema.supportRecords.id });
  return rows.length > 0;
}

/** A customer's records (as buyer or seller), newest first. */
export async function supportRecordsFor(db: Db, customerId: string, limit = 20) {
  const { supportRecords: r } = schema;
  return db.select().from(r).where(eq(r.customerId, customerId)).orderBy(desc(r.createdAt)).limit(limit);
}

/**
 * The dead ends time reveals: an order still `pending`, or `payment_failed` with no success
 * since, `olderThanMs` after its last fact. One record per order and state, opened once.
 */
export async function openStaleOrderRecords(db: Db, olderThanMs: number, now = new Date()): Promise<number> {
  const { orders } = schema;
  const cutoff = new Date(now.getTime() - olderThanMs);
  const stale = await db
    .select()
    .from(orders)
    .where(
      and(
        inArray(orders.state, ["pending", "payment_failed"]),
        sql`coalesce(${orders.stateAt}, ${orders.createdAt}) < ${cutoff.toISOString()}::timestamptz`,
      ),
    )
    .limit(500);
  let opened = 0;
  for (const o of stale) {
    const id = o.appOrderId ?? o.checkoutSessionId ?? o.paymentIntentId ?? o.id;
    const failed = o.state === "payment_failed";
    const isNew = await openSupportRecord(db, {
      dedupeKey: `${failed ? "payment_failed" : "order_pending"}:${o.id}`,
      kind: failed ? "payment_failed" : "order_pending",
      customerId: o.buyerCustomerId,
      orderId: o.id,
      summary: failed
        ? `Order ${id}: the payment failed and no payment has succeeded since`
        : `Order ${id} is still pending`,
      details: { state: o.state, since: (o.stateAt ?? o.createdAt).toISOString() },
    });
    if (isNew) opened++;
  }
  return opened;
}
