import { createHash } from "node:crypto";
import type { SupportAdapter } from "@switchyard/connectors";
import { and, type Db, desc, eq, schema, sql } from "@switchyard/db";
import { connectAccountOf } from "./connect.ts";
import { type Customer, findCustomer } from "./customers.ts";
import { lastOrderOf, type OrderContext, orderContextFrom, renderOrderContext } from "./order-context.ts";
import { closeTicket, openTicketsOf, setFactsKey, trackTicket } from "./ticket-contexts.ts";
import { addTimeline } from "./timeline.ts";

export interface SupportContext extends OrderContext {
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

/** An app event's data and when it was received: a login's device, a failed automation's step. */
export interface AppEventFact {
  data: Record<string, string>;
  at: Date;
}

/** Everything a ticket's context is made of, as Switchyard's records hold it. */
export interface ContextFacts {
  customer: Customer | undefined;
  login: AppEventFact | undefined;
  failed: AppEventFact | undefined;
  order: typeof schema.orders.$inferSelect | undefined;
  account: typeof schema.connectAccounts.$inferSelect | undefined;
}

async function latestAppEvent(db: Db, type: string, userId: string): Promise<AppEventFact | undefined> {
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
  const order = customer ? await lastOrderOf(db, customer.id) : undefined;
  const account = customer ? await connectAccountOf(db, customer.id) : undefined;
  return contextOf({ customer, login, failed, order, account }, fallbackEmail);
}

/** The context those facts make; buildContext's, from facts read in one statement (support-hot.ts). */
export function contextOf(facts: ContextFacts, fallbackEmail: string | null): SupportContext {
  const { customer, login, failed } = facts;
  return {
    userId: customer?.externalId ?? null,
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
    ...(customer ? orderContextFrom(facts.order, facts.account) : {}),
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
    ...renderOrderContext(ctx),
  ].join("\n");
}

/** The note's identity is its facts, not its timestamp: the same context is never written twice. */
export const contextKey = (ctx: SupportContext) =>
  `context-${createHash("sha256").update(JSON.stringify(ctx)).digest("hex").slice(0, 32)}`;

export interface ContextWriteOpts {
  eventId: string;
  signal?: AbortSignal;
  now?: Date;
  /**
   * A model-written account summary to add below the facts (accountSummaryLine); undefined, or
   * absent, and the note is the code-built context alone. Not part of the note's key: the facts are.
   */
  summarize?: (customer: Customer) => Promise<string | undefined>;
}

/**
 * Writes the customer's current context on a ticket unless `lastKey` already says it, then reads
 * the context again: a change that landed while the note was written gets its own note now, and
 * one that lands later finds the ticket tracked and corrects it. A few rounds at most, so a
 * customer changing all the time cannot keep one job busy.
 */
export async function writeCurrentContext(
  db: Db,
  desk: SupportAdapter,
  ticketRef: string,
  loadCustomer: () => Promise<Customer | undefined>,
  fallbackEmail: string | null,
  lastKey: string | null,
  opts: ContextWriteOpts,
) {
  const signal = opts.signal ? { signal: opts.signal } : {};
  let written: { noteId: string; created: boolean; context: SupportContext; key: string } | undefined;
  let last = lastKey;
  for (let round = 0; round < 3; round++) {
    const customer = await loadCustomer();
    const ctx = await buildContext(db, customer, fallbackEmail);
    const key = contextKey(ctx);
    if (key === last) break;
    const facts = renderContext(ctx, opts.now ?? new Date());
    const summary = customer && opts.summarize ? await opts.summarize(customer) : undefined;
    const body = summary ? `${facts}\nAccount summary (model, from these facts): ${summary}` : facts;
    const note = await desk.addInternalNote(
      ticketRef,
      { kind: "context", body: last === null ? body : body.replace("context —", "context (updated) —") },
      { idempotencyKey: key, ...signal },
    );
    await setFactsKey(db, desk.name, ticketRef, key);
    if (customer && note.created) {
      await addTimeline(db, {
        customerId: customer.id,
        kind: "support_note",
        summary: `${last === null ? "context" : "updated context"} note on ticket ${ticketRef} (${desk.name} desk)`,
        eventId: opts.eventId,
        dedupeKey: `note:${ticketRef}:${key}`,
        details: {
          ticket: ticketRef,
          noteId: note.noteId,
          plan: ctx.plan,
          lastTransaction: ctx.lastPayment?.transactionId,
        },
      });
    }
    written = { noteId: note.noteId, created: written?.created || note.created, context: ctx, key };
    last = key;
  }
  return written;
}

export async function attachContext(
  db: Db,
  desk: SupportAdapter,
  ticket: { externalId: string; requesterEmail: string | null; subject: string | null },
  customer: Customer | undefined,
  opts: ContextWriteOpts & { reloadCustomer?: () => Promise<Customer | undefined> },
) {
  const signal = opts.signal ? { signal: opts.signal } : {};
  await desk.ensureTicket(
    { ...ticket, customerId: customer?.id ?? null },
    { idempotencyKey: `${opts.eventId}-ticket`, ...signal },
  );
  await trackTicket(db, desk.name, ticket.externalId, customer?.id ?? null);
  let first = true;
  const load = async () => {
    if (first) {
      first = false;
      return customer;
    }
    return opts.reloadCustomer ? opts.reloadCustomer() : customer && findCustomer(db, { id: customer.id });
  };
  const written = await writeCurrentContext(db, desk, ticket.externalId, load, ticket.requesterEmail, null, opts);
  if (!written) throw new Error(`no context written on ticket ${ticket.externalId}`);
  return { noteId: written.noteId, created: written.created, context: written.context };
}

/**
 * A customer's billing or order state changed: each of their open tickets whose last note no
 * longer says what Switchyard knows gets a note with the current context. Nothing is written
 * where the facts are the same, so a repeated or irrelevant change adds no note.
 */
export async function refreshContexts(
  db: Db,
  desk: SupportAdapter,
  customerId: string,
  opts: ContextWriteOpts & { isOpen?: (ticketRef: string) => Promise<boolean> },
) {
  const updated: string[] = [];
  for (const ticket of await openTicketsOf(db, desk.name, customerId)) {
    if (opts.isOpen && !(await opts.isOpen(ticket.ticketRef))) {
      await closeTicket(db, desk.name, ticket.ticketRef);
      continue;
    }
    const load = () => findCustomer(db, { id: customerId });
    const written = await writeCurrentContext(db, desk, ticket.ticketRef, load, null, ticket.factsKey, opts);
    if (written) updated.push(ticket.ticketRef);
  }
  return { updated };
}
