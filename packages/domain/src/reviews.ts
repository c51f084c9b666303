import { and, type Db, desc, eq, lt, or, schema, sql } from "@switchyard/db";
import { isUuid } from "./action-ids.ts";

type SQL = NonNullable<Parameters<typeof and>[number]>;

export const REVIEW_STATUSES = ["open", "done", "dismissed"] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

export interface ReviewFilter {
  status?: string | undefined;
  /** The item's kind: an action type (`refund`) or what a message asked for (`account_deletion`). */
  type?: string | undefined;
  /** Switchyard's customer id, the app's user id or an email. */
  customer?: string | undefined;
  limit?: number | undefined;
  /** The `next` an earlier page answered: items older than it. */
  before?: string | undefined;
}

export interface ReviewEntry {
  id: string;
  kind: string;
  reason: string;
  status: string;
  createdAt: Date;
  ageMs: number;
  ticketExternalId: string | null;
  eventId: string | null;
  decision: string | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  note: string | null;
  action: {
    id: string;
    type: string;
    params: unknown;
    reason: string | null;
    proposedBy: string;
    decisionCode: string | null;
    status: string;
    result: unknown;
    error: string | null;
  } | null;
  customer: {
    id: string;
    externalId: string | null;
    email: string | null;
    plan: string | null;
    subscriptionStatus: string | null;
    entitled: boolean;
    lastPaymentAmount: number | null;
    lastPaymentCurrency: string | null;
    lastPaymentAt: Date | null;
    lastRefundAt: Date | null;
  } | null;
  /** What the model concluded on the message behind the item, when triage saw one. */
  triage: { intent: string; summary: string; classifier: string } | null;
}

const cursorOf = (e: { createdAt: Date; id: string }) => `${e.createdAt.getTime()}_${e.id}`;

/**
 * The inbox: newest first, filtered by status, kind and customer, a page at a time (`next` is
 * the cursor of the page after), each item with its action, the customer's billing state and
 * what triage said of the message.
 */
export async function listReviews(db: Db, f: ReviewFilter, now = Date.now()) {
  const { reviewItems: r, actions: a, customers: c, triageResults: t } = schema;
  const limit = Math.min(Math.max(f.limit ?? 50, 1), 200);
  const where: SQL[] = [];
  if (f.status) where.push(eq(r.status, f.status as ReviewStatus));
  if (f.type) where.push(eq(r.kind, f.type));
  if (f.customer) {
    const key = f.customer.trim();
    where.push(
      or(isUuid(key) ? eq(c.id, key) : undefined, eq(c.externalId, key), eq(c.email, key.toLowerCase())) as SQL,
    );
  }
  const before = /^(\d+)_([0-9a-f-]{36})$/.exec(f.before ?? "");
  if (before?.[1] && before[2]) {
    const at = new Date(Number(before[1]));
    where.push(or(lt(r.createdAt, at), and(eq(r.createdAt, at), lt(r.id, before[2]))) as SQL);
  }
  const rows = await db
    .select({
      item: r,
      action: a,
      customer: c,
      triage: { intent: t.intent, summary: t.summary, classifier: t.classifier },
    })
    .from(r)
    .leftJoin(a, eq(a.id, r.actionId))
    .leftJoin(c, eq(c.id, r.customerId))
    .leftJoin(t, eq(t.eventId, r.eventId))
    .where(where.length ? and(...where) : sql`true`)
    .orderBy(desc(r.createdAt), desc(r.id))
    .limit(limit + 1);
  const entries: ReviewEntry[] = rows.slice(0, limit).map(({ item, action, customer, triage }) => ({
    id: item.id,
    kind: item.kind,
    reason: item.reason,
    status: item.status,
    createdAt: item.createdAt,
    ageMs: Math.max(0, now - item.createdAt.getTime()),
    ticketExternalId: item.ticketExternalId,
    eventId: item.eventId,
    decision: item.decision,
    decidedBy: item.decidedBy,
    decidedAt: item.decidedAt,
    note: item.note,
    action: action
      ? {
          id: action.id,
          type: action.type,
          params: action.params,
          reason: action.reason,
          proposedBy: action.proposedBy,
          decisionCode: action.decisionCode,
          status: action.status,
          result: action.result,
          error: action.error,
        }
      : null,
    customer: customer
      ? {
          id: customer.id,
          externalId: customer.externalId,
          email: customer.email,
          plan: customer.plan,
          subscriptionStatus: customer.subscriptionStatus,
          entitled: customer.entitled,
          lastPaymentAmount: customer.lastPaymentAmount,
          lastPaymentCurrency: customer.lastPaymentCurrency,
          lastPaymentAt: customer.lastPaymentAt,
          lastRefundAt: customer.lastRefundAt,
        }
      : null,
    triage: triage?.intent ? triage : null,
  }));
  const last = entries.at(-1);
  return { reviews: entries, next: rows.length > limit && last ? cursorOf(last) : null };
}

/** Open items older than `olderThanMs`: how many, and the oldest one's age (what the age alert reports). */
export async function staleReviews(db: Db, olderThanMs: number, now = Date.now()) {
  const { reviewItems: r } = schema;
  const [row] = await db
    .select({ n: sql<number>`count(*)::int`, oldest: sql<string | null>`min(${r.createdAt})::text` })
    .from(r)
    .where(and(eq(r.status, "open"), lt(r.createdAt, new Date(now - olderThanMs))));
  const oldest = row?.oldest ? new Date(row.oldest) : null;
  return { count: row?.n ?? 0, oldestAgeMs: oldest ? now - oldest.getTime() : 0 };
}
