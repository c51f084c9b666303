import type { Summarizer } from "@switchyard/connectors";
import { and, type Db, desc, eq, schema } from "@switchyard/db";
import { type AiOutputPolicy, sanitizeAiText } from "./ai-output.ts";
import type { Customer } from "./customers.ts";
import { lifecycleStage } from "./lifecycle.ts";

/**
 * What a summary may be written from: plan, billing and lifecycle state, amounts and dates, and
 * what happened lately. No card data, no provider ids or transaction ids, no secrets, no message
 * text: nothing here is worth stealing, and nothing a customer wrote can steer the model.
 */
export interface AccountFacts {
  userId: string | null;
  plan: string | null;
  billingStatus: string;
  entitled: boolean;
  lifecycleStage: string;
  operatorOverride: string | null;
  currentPeriodEnd: string | null;
  lastPayment: { amount: number | null; currency: string | null; at: string } | null;
  lastPaymentFailedAt: string | null;
  lastRefundAt: string | null;
  openReviewItems: number;
  recent: { at: string; kind: string; what: string }[];
}

export interface AccountSummary {
  facts: AccountFacts;
  summary: string;
  /** `model` when the summarizer wrote it; `code` when built from the facts (no key, or the model failed). */
  source: "model" | "code";
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export async function accountFacts(db: Db, customer: Customer): Promise<AccountFacts> {
  const { customerTimeline, reviewItems } = schema;
  const [recent, reviews] = await Promise.all([
    db
      .select({ at: customerTimeline.at, kind: customerTimeline.kind, summary: customerTimeline.summary })
      .from(customerTimeline)
      .where(eq(customerTimeline.customerId, customer.id))
      .orderBy(desc(customerTimeline.at), desc(customerTimeline.id))
      .limit(10),
    db
      .select({ id: reviewItems.id })
      .from(reviewItems)
      .where(and(eq(reviewItems.customerId, customer.id), eq(reviewItems.status, "open"))),
  ]);
  return {
    userId: customer.externalId,
    plan: customer.plan,
    billingStatus: customer.subscriptionStatus ?? "none",
    entitled: customer.entitled,
    lifecycleStage: lifecycleStage(customer),
    operatorOverride: customer.statusOverride,
    currentPeriodEnd: iso(customer.currentPeriodEnd),
    lastPayment: customer.lastPaymentAt
      ? {
          amount: customer.lastPaymentAmount,
          currency: customer.lastPaymentCurrency,
          at: customer.lastPaymentAt.toISOString(),
        }
      : null,
    lastPaymentFailedAt: iso(customer.lastPaymentFailedAt),
    lastRefundAt: iso(customer.lastRefundAt),
    openReviewItems: reviews.length,
    // Timeline lines are written by Switchyard (types, stages, plans), never a customer's words.
    recent: recent.map((r) => ({ at: r.at.toISOString(), kind: r.kind, what: r.summary.slice(0, 200) })),
  };
}

const money = (p: NonNullable<AccountFacts["lastPayment"]>) =>
  p.amount === null ? "an unknown amount" : `${(p.amount / 100).toFixed(2)} ${(p.currency ?? "").toUpperCase()}`;

/** The summary code writes: always available, and what the model's answer falls back to. */
export function codeSummary(f: AccountFacts): string {
  const paidUp = f.lastPayment
    ? `Last paid ${money(f.lastPayment)} on ${f.lastPayment.at.slice(0, 10)}.`
    : "No payment yet.";
  const failed =
    f.lastPaymentFailedAt && (!f.lastPayment || f.lastPaymentFailedAt > f.lastPayment.at)
      ? ` A payment failed on ${f.lastPaymentFailedAt.slice(0, 10)} and has not been made good since.`
      : "";
  return [
    `${f.plan ? `On the ${f.plan} plan` : "No plan"}, billing ${f.billingStatus}, ${f.entitled ? "entitled" : "not entitled"} (${f.lifecycleStage}${f.operatorOverride ? `, operator override ${f.operatorOverride}` : ""}).`,
    `${paidUp}${failed}${f.lastRefundAt ? ` Refunded on ${f.lastRefundAt.slice(0, 10)}.` : ""}`,
    f.openReviewItems ? `${f.openReviewItems} request(s) wait for a person.` : "Nothing waits for a person.",
  ].join(" ");
}

/**
 * The account in a few sentences, for a person: the model's when a summarizer is given (read-only:
 * it has no tools), sanitized like every AI output, else the code-built one.
 */
export async function accountSummary(
  db: Db,
  customer: Customer,
  opts: {
    summarizer?: Summarizer | undefined;
    policy: AiOutputPolicy;
    signal?: AbortSignal;
    onError?: (err: unknown) => void;
  },
): Promise<AccountSummary> {
  const facts = await accountFacts(db, customer);
  if (opts.summarizer) {
    try {
      const text = await opts.summarizer.summarize({ ...facts }, opts.signal ? { signal: opts.signal } : {});
      return { facts, summary: sanitizeAiText(text, opts.policy).text, source: "model" };
    } catch (err) {
      opts.onError?.(err);
    }
  }
  return { facts, summary: codeSummary(facts), source: "code" };
}

/** The model's summary for a ticket's context note, or undefined (no model, or it failed: the facts stand alone). */
export async function accountSummaryLine(
  db: Db,
  customer: Customer,
  opts: { summarizer: Summarizer; policy: AiOutputPolicy; signal?: AbortSignal; onError?: (err: unknown) => void },
): Promise<string | undefined> {
  const result = await accountSummary(db, customer, opts);
  return result.source === "model" ? result.summary : undefined;
}
