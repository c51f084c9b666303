import { PermanentError, RetryableError } from "@switchyard/events";
import type Stripe from "stripe";
import { lazyClient, loadedStripe, loadStripe } from "./sdks.ts";

export interface StripeBillingOptions {
  secretKey: string;
  /** A fake's URL in tests; Stripe's own API when absent. */
  apiBase?: string | undefined;
  timeoutMs?: number;
}

/** Where billing-sync reads the current truth, and the one write it makes (linking ids). */
export interface BillingSource {
  readonly name: string;
  subscription(id: string): Promise<Record<string, unknown>>;
  invoice(id: string): Promise<Record<string, unknown>>;
  /** One-off payments and orders: the PaymentIntent and the Charge as they are now. */
  paymentIntent(id: string): Promise<Record<string, unknown>>;
  charge(id: string): Promise<Record<string, unknown>>;
  linkCustomer(stripeCustomerId: string, switchyardCustomerId: string, call: { idempotencyKey: string }): Promise<void>;
}

export function clientOptions(opts: StripeBillingOptions) {
  const base = opts.apiBase ? new URL(opts.apiBase) : undefined;
  return {
    // The queue owns retries (with backoff and failure routing); one client retry hides nothing.
    maxNetworkRetries: 0,
    timeout: opts.timeoutMs ?? 10_000,
    ...(base
      ? {
          host: base.hostname,
          port: base.port || (base.protocol === "https:" ? 443 : 80),
          protocol: base.protocol.replace(":", "") as "http" | "https",
        }
      : {}),
  };
}

/** Stripe's errors as Switchyard's reason codes; the key itself never reaches a message. */
export function stripeFailure(err: unknown): Error {
  const Stripe = loadedStripe();
  if (!Stripe || !(err instanceof Stripe.errors.StripeError))
    return err instanceof Error ? err : new Error(String(err));
  const status = err.statusCode ?? 0;
  if (err instanceof Stripe.errors.StripeConnectionError) {
    return /timeout|timed out/i.test(err.message)
      ? new RetryableError("billing_timeout", "Stripe did not answer in time")
      : new RetryableError("upstream_unavailable", "Stripe unreachable");
  }
  if (err instanceof Stripe.errors.StripeAuthenticationError || err instanceof Stripe.errors.StripePermissionError) {
    return new PermanentError("auth_failed", `Stripe rejected the API key (${status})`);
  }
  if (err instanceof Stripe.errors.StripeRateLimitError) {
    const after = Number(err.headers?.["retry-after"]);
    return new RetryableError(
      "rate_limited",
      "Stripe rate limit (429)",
      Number.isFinite(after) ? { retryAfterMs: after * 1000 } : {},
    );
  }
  if (status >= 500) return new RetryableError("upstream_unavailable", `Stripe answered ${status}`);
  return new PermanentError("invalid_payload", `Stripe refused the request (${status}): ${err.code ?? err.type}`);
}

/** A Stripe client made on the first call, the SDK imported then. */
export function stripeClient(opts: StripeBillingOptions): () => Promise<Stripe> {
  return lazyClient(async () => new (await loadStripe())(opts.secretKey, clientOptions(opts)));
}

export function stripeBilling(opts: StripeBillingOptions): BillingSource {
  const client = stripeClient(opts);
  const guard = async <T>(fn: (stripe: Stripe) => Promise<T>): Promise<T> => {
    try {
      return await fn(await client());
    } catch (err) {
      throw stripeFailure(err);
    }
  };
  return {
    name: "stripe",
    // The client's own timeout bounds each call (its request options take no abort signal).
    subscription: (id) =>
      guard(async (stripe) => (await stripe.subscriptions.retrieve(id)) as unknown as Record<string, unknown>),
    invoice: (id) =>
      guard(async (stripe) => (await stripe.invoices.retrieve(id)) as unknown as Record<string, unknown>),
    paymentIntent: (id) =>
      guard(async (stripe) => (await stripe.paymentIntents.retrieve(id)) as unknown as Record<string, unknown>),
    charge: (id) => guard(async (stripe) => (await stripe.charges.retrieve(id)) as unknown as Record<string, unknown>),
    linkCustomer: (stripeCustomerId, switchyardCustomerId, call) =>
      guard(async (stripe) => {
        await stripe.customers.update(
          stripeCustomerId,
          { metadata: { switchyard_customer_id: switchyardCustomerId } },
          { idempotencyKey: call.idempotencyKey },
        );
      }),
  };
}
