import { createHash } from "node:crypto";
import type { SupportAdapter } from "@switchyard/connectors";
import { and, type Db, desc, eq, schema, sql } from "@switchyard/db";
import type { Customer } from "./customers.ts";
import { addTimeline } from "./timeline.ts";

export interface SupportContext {
  userId: string | null;
  email: string | null;
  plan: string | null;
  billingStatus: string;
  entitled: boolean;
  lastPayment: {
    id: string;
    transactionId: string | null;
    amount: number | null;
    currency: string | null;
    at: string;
  } | null;
  lastFailedAutomation: { step: string; at: string } | null;
  device: string | null;
  platform: string | null;
}

async function latestAppEvent(db: Db, type: string, userId: string) {
  const { events } = schema;
  const [row] = await db
    .select({ payload: events.payload, receivedAt: events.receivedAt })
    .from(events)
    .where(and(eq(events.type, type), sql`${events.payload} -> 'data' ->> 'userId' = ${userId}`))
    .orderBy(desc(events.receivedAt))
    .limit(1);
  return row ? { data: (row.payload as { data: Record<string, string> }).data, at: row.receivedAt } : undefined;
}

/** The facts an agent needs on a new ticket, from Switchyard's own records. */
export async function buildContext(
  db: Db,
  customer: Customer | undefined,
  fallbackEmail: string | null,
): Promise<SupportContext> {
  const userId = customer?.externalId ?? null;
  const login = userId ? await latestAppEvent(db, "app.user.logged_in", userId) : undefined;
  const failed = userId ? await latestAppEvent(db, "app.automation.failed", userId) : undefined;
  return {
    userId,
    email: customer?.email ?? fallbackEmail,
    plan: customer?.plan ?? null,
    billingStatus: customer?.statusOverride ?? customer?.subscriptionStatus ?? (customer ? "none" : "unknown customer"),
    entitled: customer?.entitled ?? false,
    lastPayment:
      customer?.lastPaymentId && customer.lastPaymentAt
        ? {
            id: customer.lastPaymentId,
            transactionId: customer.lastPaymentTransactionId,
            amount: customer.lastPaymentAmount,
            currency: customer.lastPaymentCurrency,
            at: customer.lastPaymentAt.toISOString(),
          }
        : null,
    lastFailedAutomation: failed?.data.step ? { step: failed.data.step, at: failed.at.toISOString() } : null,
    device: login?.data.device ?? null,
    platform: login?.data.platform ?? null,
  };
}

const money = (amount: number | null, currency: string | null) =>
  amount === null ? "?" : `${(amount / 100).toFixed(2)} ${(currency ?? "").toUpperCase()}`;

export function renderContext(ctx: SupportContext, now: Date): string {
  const payment = ctx.lastPayment
    ? `${money(ctx.lastPayment.amount, ctx.lastPayment.currency)} on ${ctx.lastPayment.at} (invoice ${ctx.lastPayment.id}, transaction ${ctx.lastPayment.transactionId ?? "n/a"})`
    : "none";
  return [
    `Switchyard customer context — ${now.toISOString()}`,
    `User: ${ctx.userId ?? "unknown"} (${ctx.email ?? "no email"})`,
    `Plan: ${ctx.plan ?? "none"} · Billing: ${ctx.billingStatus}${ctx.entitled ? " (entitled)" : " (not entitled)"}`,
    `Last successful payment: ${payment}`,
    `Last failed automation: ${ctx.lastFailedAutomation ? `${ctx.lastFailedAutomation.step} at ${ctx.lastFailedAutomation.at}` : "none"}`,
    `Device: ${ctx.device ?? "unknown"} · Platform: ${ctx.platform ?? "unknown"}`,
  ].join("\n");
}

/** The note's identity is its facts, not its timestamp: the same context is never written twice. */
export const contextKey = (ctx: SupportContext) =>
  `context-${createHash("sha256").update(JSON.stringify(ctx)).digest("hex").slice(0, 32)}`;

export async function attachContext(
  db: Db,
  desk: SupportAdapter,
  ticket: { externalId: string; requesterEmail: string | null; subject: string | null },
  customer: Customer | undefined,
  opts: { eventId: string; signal?: AbortSignal; now?: Date },
) {
  const signal = opts.signal ? { signal: opts.signal } : {};
  await desk.ensureTicket(
    { ...ticket, customerId: customer?.id ?? null },
    { idempotencyKey: `${opts.eventId}-ticket`, ...signal },
  );
  const ctx = await buildContext(db, customer, ticket.requesterEmail);
  const key = contextKey(ctx);
  const note = await desk.addInternalNote(
    ticket.externalId,
    { kind: "context", body: renderContext(ctx, opts.now ?? new Date()) },
    { idempotencyKey: key, ...signal },
  );
  if (customer && note.created) {
    await addTimeline(db, {
      customerId: customer.id,
      kind: "support_note",
      summary: `context note on ticket ${ticket.externalId} (${desk.name} desk)`,
      eventId: opts.eventId,
      dedupeKey: `note:${ticket.externalId}:${key}`,
      details: {
        ticket: ticket.externalId,
        noteId: note.noteId,
        plan: ctx.plan,
        lastTransaction: ctx.lastPayment?.transactionId,
      },
    });
  }
  return { noteId: note.noteId, created: note.created, context: ctx };
}
