/** One event as a provider lists it: what the reconcile records, exactly as its webhook would carry it. */
export interface ProviderEvent {
  id: string;
  type: string;
  /** Seconds since the epoch (Stripe's `created`). */
  created: number;
  /** The event object as the API returned it: the same JSON the provider posts to a webhook endpoint. */
  payload: Record<string, unknown>;
}

export interface EventPageQuery {
  /** Inclusive bounds, seconds since the epoch. */
  gte: number;
  lte: number;
  /** The last event of the previous page: the list goes on after it. */
  startingAfter?: string | undefined;
  limit: number;
  /** Only the events whose webhook is still pending or failed (Stripe's `delivery_success=false`). */
  undeliveredOnly?: boolean;
}

export interface EventPage {
  events: ProviderEvent[];
  hasMore: boolean;
}

/**
 * A provider's own record of the events it sent, newest first, one page at a time (Stripe's Events
 * API). A 429 is a RetryableError `rate_limited`, with `retryAfterMs` when the provider said.
 */
export interface EventLister {
  /** The events' `source` in Switchyard: the same as the webhook's, so the two dedupe. */
  readonly source: string;
  page(query: EventPageQuery): Promise<EventPage>;
}
