import { type Db, eq, schema } from "@switchyard/db";
import type { AccountEvent, PayoutEvent } from "@switchyard/events";
import { openSupportRecord } from "./support-records.ts";
import { addTimeline } from "./timeline.ts";

export interface ConnectStatus {
  accountId: string;
  chargesEnabled: boolean | null;
  payoutsEnabled: boolean | null;
  requirementsDue: string[];
}

export interface ConnectOutcome {
  sellerId: string | null;
  /** Charges, payouts or requirements moved: the seller's CRM contact must hear about it. */
  changed: boolean;
  opened: { kind: string; summary: string }[];
}

/**
 * A connected account's `account.updated`: its fields are kept as of the newest event (Stripe's
 * `created`), so an older one arriving late changes nothing. Requirements due and payouts
 * disabled each open one record for the seller, keyed by what is due, so never twice.
 */
export async function applyAccountUpdate(db: Db, eventId: string, e: AccountEvent): Promise<ConnectOutcome> {
  const a = e.data.object;
  const at = new Date(e.created * 1000);
  const due = [...(a.requirements?.currently_due ?? [])].sort();
  return db.transaction(async (txRaw) => {
    const tx = txRaw as unknown as Db;
    const { connectAccounts } = schema;
    await tx.insert(connectAccounts).values({ accountId: a.id }).onConflictDoNothing();
    const [before] = await tx.select().from(connectAccounts).where(eq(connectAccounts.accountId, a.id)).for("update");
    const newer = !before?.versionAt || at >= before.versionAt;
    if (newer) {
      await tx
        .update(connectAccounts)
        .set({
          chargesEnabled: a.charges_enabled,
          payoutsEnabled: a.payouts_enabled,
          requirementsDue: due,
          disabledReason: a.requirements?.disabled_reason ?? null,
          versionAt: at,
          updatedAt: new Date(),
        })
        .where(eq(connectAccounts.accountId, a.id));
    }
    const sellerId = before?.customerId ?? null;
    const opened: ConnectOutcome["opened"] = [];
    const open = async (kind: "requirements_due" | "payouts_disabled", dedupeKey: string, summary: string) => {
      const isNew = await openSupportRecord(tx, {
        dedupeKey,
        kind,
        customerId: sellerId,
        accountId: a.id,
        summary,
        details: { requirementsDue: due, payoutsEnabled: a.payouts_enabled, chargesEnabled: a.charges_enabled },
      });
      if (isNew) opened.push({ kind, summary });
    };
    if (due.length) {
      await open(
        "requirements_due",
        `requirements_due:${a.id}:${due.join(",")}`,
        `Seller account ${a.id} has requirements due: ${due.join(", ")}`,
      );
    }
    if (!a.payouts_enabled) {
      await open("payouts_disabled", `payouts_disabled:${a.id}`, `Seller account ${a.id} has payouts disabled`);
    }
    if (sellerId) {
      await addTimeline(tx, {
        customerId: sellerId,
        kind: "event",
        summary: e.type,
        eventId,
        at,
        dedupeKey: `event:${eventId}`,
        details: {
          accountId: a.id,
          chargesEnabled: a.charges_enabled,
          payoutsEnabled: a.payouts_enabled,
          requirementsDue: due,
        },
      });
    }
    const changed =
      newer &&
      (before?.chargesEnabled !== a.charges_enabled ||
        before?.payoutsEnabled !== a.payouts_enabled ||
        (before?.requirementsDue ?? []).join(",") !== due.join(","));
    return { sellerId, changed, opened };
  });
}

/** A failed payout to a seller: one record per payout. */
export async function applyPayoutFailed(db: Db, eventId: string, e: PayoutEvent): Promise<ConnectOutcome> {
  const p = e.data.object;
  const accountId = e.account ?? null;
  const [account] = accountId
    ? await db.select().from(schema.connectAccounts).where(eq(schema.connectAccounts.accountId, accountId))
    : [];
  const sellerId = account?.customerId ?? null;
  const summary = `Payout ${p.id} of ${(p.amount / 100).toFixed(2)} ${p.currency.toUpperCase()} to ${accountId ?? "the platform"} failed: ${p.failure_code ?? "unknown"}`;
  const isNew = await openSupportRecord(db, {
    dedupeKey: `payout_failed:${p.id}`,
    kind: "payout_failed",
    customerId: sellerId,
    accountId,
    summary,
    details: { payoutId: p.id, failureCode: p.failure_code, failureMessage: p.failure_message, eventId },
  });
  return { sellerId, changed: false, opened: isNew ? [{ kind: "payout_failed", summary }] : [] };
}

/** The seller's Connect account(s), for the ticket context and the CRM. */
export async function connectStatusOf(db: Db, customerId: string): Promise<ConnectStatus | undefined> {
  return connectStatusFrom(await connectAccountOf(db, customerId));
}

/** The seller's Connect account row, if it has one. */
export async function connectAccountOf(db: Db, customerId: string) {
  const [row] = await db
    .select()
    .from(schema.connectAccounts)
    .where(eq(schema.connectAccounts.customerId, customerId))
    .limit(1);
  return row;
}

export function connectStatusFrom(
  row: typeof schema.connectAccounts.$inferSelect | undefined,
): ConnectStatus | undefined {
  return row
    ? {
        accountId: row.accountId,
        chargesEnabled: row.chargesEnabled,
        payoutsEnabled: row.payoutsEnabled,
        requirementsDue: row.requirementsDue,
      }
    : undefined;
}

/** One word for the CRM: enabled, restricted (requirements due or payouts off) or pending. */
export function connectStatusWord(s: ConnectStatus | undefined): string {
  if (!s) return "";
  if (s.chargesEnabled === null) return "pending";
  return s.chargesEnabled && s.payoutsEnabled && s.requirementsDue.length === 0 ? "enabled" : "restricted";
}
