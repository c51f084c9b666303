import type {
  ChargeEvent,
  CheckoutSessionCompleted,
  DisputeEvent,
  OrderCreated,
  OrderFulfilled,
  PaymentIntentEvent,
} from "@switchyard/events";
import type { z } from "zod";
import type { CustomerKeys } from "./customers.ts";
import type { OrderFactBody } from "./order-machine.ts";

type OrderCreatedEvent = z.infer<typeof OrderCreated>;
type OrderFulfilledEvent = z.infer<typeof OrderFulfilled>;

/** The ids one event may know its order by; any of them finds the same row. */
export interface OrderRefs {
  appOrderId?: string | null | undefined;
  checkoutSessionId?: string | null | undefined;
  paymentIntentId?: string | null | undefined;
  chargeId?: string | null | undefined;
}

export interface Party {
  keys: CustomerKeys;
  name?: string | null | undefined;
  /**
   * The app and a Checkout Session say who the buyer is (user id, email) and may create or fill in
   * the customer; a PaymentIntent or a charge only points at one already known, so a contact is
   * never written for a half-known buyer who the next event would complete.
   */
  identifies?: boolean;
}

export interface OrderItem {
  sku: string;
  name?: string | undefined;
  quantity: number;
  unitAmount: number;
}

/** What one event says about an order: how to find it, who is in it, what it costs, and its facts. */
export interface OrderInput {
  refs: OrderRefs;
  /** A mode=payment Checkout Session: an order even without the app's order id. */
  startsOrder?: boolean;
  buyer?: Party;
  seller?: Party & { stripeAccountId?: string | null | undefined };
  amount?: number | null | undefined;
  currency?: string | null | undefined;
  applicationFee?: number | null | undefined;
  sellerAccountId?: string | null | undefined;
  items?: OrderItem[];
  refundIds?: string[];
  disputeId?: string;
  /** Stripe's `created` (seconds), or the app event's time. */
  at: Date;
  facts: OrderFactBody[];
}

const seconds = (s: number) => new Date(s * 1000);
const fact = (kind: "created" | "payment_failed" | "canceled" | "paid" | "fulfilled" | "dispute_opened", at: Date) =>
  ({ kind, at: at.getTime() }) as OrderFactBody;

const SESSION_FACT: Record<string, OrderFactBody["kind"] | undefined> = {
  "checkout.session.async_payment_succeeded": "paid",
  "checkout.session.async_payment_failed": "payment_failed",
};

/** A Checkout Session in mode=payment: completed (paid now, or later by an async method), or its async outcome. */
export function sessionOrderInput(e: CheckoutSessionCompleted): OrderInput {
  const s = e.data.object;
  const at = seconds(e.created);
  const paidNow = s.payment_status === "paid" || s.payment_status === "no_payment_required";
  const kind = SESSION_FACT[e.type] ?? (paidNow ? "paid" : "created");
  return {
    refs: { appOrderId: s.metadata?.order_id, checkoutSessionId: s.id, paymentIntentId: s.payment_intent },
    startsOrder: true,
    buyer: {
      keys: {
        stripeCustomerId: s.customer ?? null,
        externalId: s.client_reference_id ?? null,
        email: s.customer_details?.email ?? s.customer_email ?? null,
      },
      name: s.customer_details?.name,
      identifies: true,
    },
    amount: s.amount_total,
    currency: s.currency,
    at,
    facts: [fact(kind as "paid", at)],
  };
}

const PI_FACT: Record<string, "paid" | "payment_failed" | "canceled" | undefined> = {
  "payment_intent.succeeded": "paid",
  "payment_intent.payment_failed": "payment_failed",
  "payment_intent.canceled": "canceled",
};

const destinationOf = (o: { transfer_data?: { destination: string } | null; on_behalf_of?: string | null }) =>
  o.transfer_data?.destination ?? o.on_behalf_of ?? null;

export function paymentIntentOrderInput(e: PaymentIntentEvent): OrderInput {
  const pi = e.data.object;
  const at = seconds(e.created);
  const kind = PI_FACT[e.type];
  return {
    refs: { appOrderId: pi.metadata?.order_id, paymentIntentId: pi.id, chargeId: pi.latest_charge },
    buyer: { keys: { stripeCustomerId: pi.customer ?? null, email: pi.receipt_email ?? null } },
    amount: pi.amount,
    currency: pi.currency,
    applicationFee: pi.application_fee_amount,
    sellerAccountId: destinationOf(pi),
    at,
    facts: kind ? [fact(kind, at)] : [],
  };
}

export function chargeOrderInput(e: ChargeEvent): OrderInput {
  const ch = e.data.object;
  const at = seconds(e.created);
  const facts: OrderFactBody[] =
    e.type === "charge.refunded"
      ? [{ kind: "refunded", at: at.getTime(), amountRefunded: ch.amount_refunded, amount: ch.amount }]
      : [fact("paid", at)];
  return {
    refs: { appOrderId: ch.metadata?.order_id, paymentIntentId: ch.payment_intent, chargeId: ch.id },
    buyer: { keys: { stripeCustomerId: ch.customer ?? null, email: ch.billing_details?.email ?? null } },
    amount: ch.amount,
    currency: ch.currency,
    applicationFee: ch.application_fee_amount,
    sellerAccountId: destinationOf(ch),
    refundIds: ch.refunds?.data.map((r) => r.id) ?? [],
    at,
    facts,
  };
}

/** Stripe's closed statuses: won, lost, or an inquiry closed without becoming a dispute (won). */
const DISPUTE_OUTCOME: Record<string, "won" | "lost" | undefined> = {
  won: "won",
  warning_closed: "won",
  prevented: "won",
  lost: "lost",
};

export function disputeOrderInput(e: DisputeEvent): OrderInput {
  const d = e.data.object;
  const at = seconds(e.created);
  const outcome = DISPUTE_OUTCOME[d.status];
  const facts: OrderFactBody[] =
    e.type === "charge.dispute.created"
      ? [fact("dispute_opened", at)]
      : outcome
        ? [{ kind: "dispute_closed", at: at.getTime(), outcome }]
        : [];
  return { refs: { paymentIntentId: d.payment_intent, chargeId: d.charge }, disputeId: d.id, at, facts };
}

const appTime = (occurredAt: string | undefined, receivedAt: string) => new Date(occurredAt ?? receivedAt);

export function orderCreatedInput(e: OrderCreatedEvent, receivedAt: string): OrderInput {
  const d = e.data;
  const at = appTime(e.occurredAt, receivedAt);
  return {
    refs: { appOrderId: d.orderId },
    buyer: { keys: { externalId: d.buyer.userId, email: d.buyer.email ?? null }, name: d.buyer.name, identifies: true },
    ...(d.seller
      ? {
          seller: {
            keys: { externalId: d.seller.userId, email: d.seller.email ?? null },
            name: d.seller.name,
            identifies: true,
            stripeAccountId: d.seller.stripeAccountId,
          },
          sellerAccountId: d.seller.stripeAccountId,
        }
      : {}),
    amount: d.amount,
    currency: d.currency.toLowerCase(),
    applicationFee: d.applicationFee,
    items: d.items,
    at,
    facts: [fact("created", at)],
  };
}

export function orderFulfilledInput(e: OrderFulfilledEvent, receivedAt: string): OrderInput {
  const at = appTime(e.occurredAt, receivedAt);
  return { refs: { appOrderId: e.data.orderId }, at, facts: [fact("fulfilled", at)] };
}
