import { createHash } from "node:crypto";
import type { JsonReply, Received, Route } from "./server.ts";

type StripeObject = Record<string, unknown> & { id: string };

/** Stripe's form encoding at any depth (`items[0][price]=p`, `metadata[k]=v`) as a plain object. */
export function parseStripeForm(body: unknown): Record<string, unknown> {
  if (typeof body !== "string") return (body as Record<string, unknown>) ?? {};
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    const parts = key.split(/\[|\]\[|\]/).filter((p) => p !== "");
    let node = out;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) node[part] = value;
      else {
        node[part] ??= {};
        node = node[part] as Record<string, unknown>;
      }
    });
  }
  return out;
}

const error = (status: number, e: Record<string, unknown>): JsonReply => ({
  status,
  body: { error: { type: "invalid_request_error", ...e } },
});
const missing = (kind: string, id: string, param: string) =>
  error(404, { code: "resource_missing", param, message: `No such ${kind}: '${id}'` });

/**
 * The money-moving writes the action gateway makes, kept as Stripe keeps them: charges with what
 * is left to refund, `POST /v1/refunds`, `POST /v1/subscriptions/:id` (plan, cancellation, trial,
 * discounts) and `POST /v1/charges/:id` (a receipt resent by setting `receipt_email`).
 *
 * Idempotency as Stripe documents it: the first answer under a key is saved once the endpoint
 * starts executing (errors included) and replayed for the same key; the same key with another
 * endpoint or other parameters is a 400 `idempotency_error`; a request refused by parameter
 * validation saves nothing, so a corrected retry under the same key runs.
 */
export class StripeMoney {
  readonly charges = new Map<string, StripeObject>();
  /** Every refund Stripe created, in order: what "exactly one refund" is counted on. */
  readonly refunds: StripeObject[] = [];
  /** Every subscription update applied (replays excluded), with its parameters. */
  readonly subscriptionUpdates: { id: string; params: Record<string, unknown>; idempotencyKey?: string }[] = [];
  readonly receiptsSent: { charge: string; email: string }[] = [];
  readonly prices = new Map<string, StripeObject>();
  private readonly saved = new Map<string, { signature: string; reply: JsonReply }>();
  private readonly subscriptions: Map<string, StripeObject>;

  constructor(subscriptions: Map<string, StripeObject>) {
    this.subscriptions = subscriptions;
  }

  /** A succeeded charge (and its payment intent, when given) the customer paid. */
  setCharge(charge: { id: string; amount: number; currency?: string; customer?: string; paymentIntent?: string }) {
    this.charges.set(charge.id, {
      id: charge.id,
      object: "charge",
      amount: charge.amount,
      amount_refunded: 0,
      currency: charge.currency ?? "usd",
      customer: charge.customer ?? null,
      payment_intent: charge.paymentIntent ?? null,
      paid: true,
      refunded: false,
      status: "succeeded",
      receipt_email: null,
    });
  }

  /** A price the account sells, found by its lookup key as `GET /v1/prices?lookup_keys[]=` does. */
  setPrice(price: { id: string; lookupKey: string; active?: boolean }) {
    this.prices.set(price.id, {
      id: price.id,
      object: "price",
      lookup_key: price.lookupKey,
      active: price.active ?? true,
    });
  }

  route(req: Received): Route | undefined {
    const path = req.path.split("?")[0] ?? "";
    if (req.method === "GET" && path === "/v1/prices") return () => this.listPrices(req);
    if (req.method !== "POST") return undefined;
    if (path === "/v1/refunds") return () => this.once(req, path, (p) => this.refund(p));
    const sub = /^\/v1\/subscriptions\/([\w-]+)$/.exec(path)?.[1];
    if (sub) return () => this.once(req, path, (p, key) => this.updateSubscription(sub, p, key));
    const charge = /^\/v1\/charges\/([\w-]+)$/.exec(path)?.[1];
    if (charge) return () => this.once(req, path, (p) => this.updateCharge(charge, p));
    return undefined;
  }

  private once(
    req: Received,
    path: string,
    run: (params: Record<string, unknown>, key: string | undefined) => JsonReply & { validation?: boolean },
  ): JsonReply {
    const params = parseStripeForm(req.body);
    const key = req.headers["idempotency-key"];
    const signature = createHash("sha256")
      .update(`${path}\n${JSON.stringify(params)}`)
      .digest("hex");
    const earlier = key ? this.saved.get(key) : undefined;
    if (earlier && earlier.signature !== signature) {
      return {
        status: 400,
        body: {
          error: {
            type: "idempotency_error",
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          },
        },
      };
    }
    if (earlier) return { ...earlier.reply, headers: { ...earlier.reply.headers, "idempotent-replayed": "true" } };
    const { validation, ...reply } = run(params, key);
    if (key && !validation) {
      this.saved.set(key, { signature, reply: { ...reply, headers: { ...reply.headers, "idempotency-key": key } } });
    }
    return reply;
  }

  private chargeFor(params: Record<string, unknown>): StripeObject | JsonReply {
    if (typeof params.charge === "string")
      return this.charges.get(params.charge) ?? missing("charge", params.charge, "charge");
    const pi = String(params.payment_intent);
    return (
      [...this.charges.values()].find((c) => c.payment_intent === pi) ?? missing("payment_intent", pi, "payment_intent")
    );
  }

  private refund(params: Record<string, unknown>): JsonReply & { validation?: boolean } {
    if (typeof params.charge !== "string" && typeof params.payment_intent !== "string") {
      return {
        ...error(400, {
          message: "One of the following params should be provided for this request: payment_intent or charge.",
        }),
        validation: true,
      };
    }
    const amount = params.amount === undefined ? undefined : Number(params.amount);
    if (amount !== undefined && !(Number.isInteger(amount) && amount > 0)) {
      return {
        ...error(400, { code: "parameter_invalid_integer", param: "amount", message: "Invalid positive integer" }),
        validation: true,
      };
    }
    const charge = this.chargeFor(params);
    if (!("object" in charge)) return charge as JsonReply;
    const left = Number(charge.amount) - Number(charge.amount_refunded);
    if (left <= 0)
      return error(400, { code: "charge_already_refunded", message: `Charge ${charge.id} has already been refunded.` });
    const value = amount ?? left;
    if (value > left) {
      return error(400, {
        code: "amount_too_large",
        param: "amount",
        message: `Refund amount (${value}) is greater than unrefunded amount on charge (${left})`,
      });
    }
    const refund: StripeObject = {
      id: `re_${this.refunds.length + 1}${charge.id.slice(3, 11)}`,
      object: "refund",
      amount: value,
      charge: charge.id,
      currency: charge.currency,
      payment_intent: charge.payment_intent,
      reason: params.reason ?? null,
      metadata: params.metadata ?? {},
      status: "succeeded",
      created: Math.floor(Date.now() / 1000),
    };
    this.refunds.push(refund);
    charge.amount_refunded = Number(charge.amount_refunded) + value;
    charge.refunded = charge.amount_refunded === charge.amount;
    return { status: 200, body: refund };
  }

  private updateSubscription(id: string, params: Record<string, unknown>, key: string | undefined): JsonReply {
    const sub = this.subscriptions.get(id);
    if (!sub) return missing("subscription", id, "id");
    if (sub.status === "canceled")
      return error(400, {
        message: "A canceled subscription can only update its cancellation_details and metadata.",
      });
    const items = params.items as Record<string, { id?: string; price?: string }> | undefined;
    const next: StripeObject = { ...sub };
    for (const item of Object.values(items ?? {})) {
      if (item.price)
        next.items = {
          object: "list",
          data: [
            { id: item.id, price: { id: item.price, lookup_key: this.prices.get(item.price)?.lookup_key ?? null } },
          ],
        };
    }
    if (params.cancel_at_period_end !== undefined) next.cancel_at_period_end = params.cancel_at_period_end === "true";
    if (params.trial_end !== undefined) next.trial_end = Number(params.trial_end);
    if (params.discounts !== undefined) next.discounts = Object.values(params.discounts as object);
    this.subscriptions.set(id, next);
    this.subscriptionUpdates.push({ id, params, ...(key ? { idempotencyKey: key } : {}) });
    return { status: 200, body: next };
  }

  private listPrices(req: Received): JsonReply {
    const q = parseStripeForm(req.path.split("?")[1] ?? "");
    const keys = Object.values((q.lookup_keys as Record<string, string> | undefined) ?? {});
    const limit = q.limit === undefined ? 10 : Number(q.limit);
    const data = [...this.prices.values()].filter(
      (p) =>
        (keys.length === 0 || keys.includes(String(p.lookup_key))) &&
        (q.active === undefined || String(p.active) === q.active),
    );
    return {
      status: 200,
      body: { object: "list", url: "/v1/prices", has_more: data.length > limit, data: data.slice(0, limit) },
    };
  }

  private updateCharge(id: string, params: Record<string, unknown>): JsonReply {
    const charge = this.charges.get(id);
    if (!charge) return missing("charge", id, "id");
    if (typeof params.receipt_email === "string") {
      charge.receipt_email = params.receipt_email;
      this.receiptsSent.push({ charge: id, email: params.receipt_email });
    }
    return { status: 200, body: charge };
  }
}
