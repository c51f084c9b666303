import type { EventLister } from "@switchyard/events";
import type Stripe from "stripe";
import { type StripeBillingOptions, stripeClient, stripeFailure } from "./stripe-billing.ts";

/**
 * Stripe's Events API (`GET /v1/events`, 30 days back) through the SDK's `events.list`, paged by
 * hand with `starting_after` as its auto-pagination does, so the caller can store each page's
 * cursor. The SDK's own retries are off: the reconcile paces itself and honours 429s.
 */
export function stripeEventLister(opts: StripeBillingOptions): EventLister {
  const client = stripeClient(opts);
  return {
    source: "stripe",
    async page(query) {
      let list: Stripe.ApiList<Stripe.Event>;
      try {
        list = await (await client()).events.list({
          created: { gte: query.gte, lte: query.lte },
          limit: query.limit,
          ...(query.startingAfter ? { starting_after: query.startingAfter } : {}),
          ...(query.undeliveredOnly ? { delivery_success: false } : {}),
        });
      } catch (err) {
        // 429 → rate_limited (with Retry-After when sent), 401 → auth_failed, 5xx → upstream_unavailable.
        throw stripeFailure(err);
      }
      return {
        hasMore: list.has_more,
        events: list.data.map((e) => ({
          id: e.id,
          type: e.type,
          created: e.created,
          payload: e as unknown as Record<string, unknown>,
        })),
      };
    },
  };
}
