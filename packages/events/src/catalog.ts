import type { z } from "zod";
import { ActionExecute } from "./action-payloads.ts";
import type { WorkQueue } from "./queues.ts";
import type { ReasonCode } from "./reasons.ts";
import {
  AccountEvent,
  ChargeEvent,
  ChargeRefunded,
  CheckoutSessionCompleted,
  DisputeEvent,
  InvoiceEvent,
  PaymentIntentEvent,
  PayoutEvent,
  SubscriptionEvent,
} from "./stripe-payloads.ts";
import {
  CustomerChanged,
  HubspotContactEvent,
  OrderCreated,
  OrderFulfilled,
  SupportRequested,
  UserSignedUp,
  ZendeskCommentAdded,
  ZendeskTicketCreated,
} from "./support-payloads.ts";

export interface QueueSpec {
  attempts: number;
  /** First retry delay; exponential from there, with jitter. */
  backoffMs: number;
  /** A handler running longer than this fails, retryably, with `timeoutReason`. */
  timeoutMs: number;
  timeoutReason: ReasonCode;
  /** Job name (normalized event type) -> the payload it must carry. */
  jobs: Readonly<Record<string, z.ZodType>>;
}

/** Internal jobs are emitted by workers, never routed from ingest. */
export const INTERNAL_SOURCE = "switchyard";

/** One place for what each queue accepts and how it retries (trigger.dev's redis-worker style). */
export const JOB_CATALOG = {
  "billing-sync": {
    attempts: 8,
    backoffMs: 2_000,
    timeoutMs: 30_000,
    timeoutReason: "billing_timeout",
    jobs: {
      "stripe.checkout.session.completed": CheckoutSessionCompleted,
      "stripe.customer.subscription.created": SubscriptionEvent,
      "stripe.customer.subscription.updated": SubscriptionEvent,
      "stripe.customer.subscription.deleted": SubscriptionEvent,
      "stripe.customer.subscription.paused": SubscriptionEvent,
      "stripe.customer.subscription.resumed": SubscriptionEvent,
      "stripe.invoice.paid": InvoiceEvent,
      "stripe.invoice.payment_failed": InvoiceEvent,
      "stripe.invoice.payment_action_required": InvoiceEvent,
      "stripe.charge.refunded": ChargeRefunded,
      // One-off payments and marketplace orders (packages/domain orders-*.ts).
      "stripe.checkout.session.async_payment_succeeded": CheckoutSessionCompleted,
      "stripe.checkout.session.async_payment_failed": CheckoutSessionCompleted,
      "stripe.payment_intent.succeeded": PaymentIntentEvent,
      "stripe.payment_intent.payment_failed": PaymentIntentEvent,
      "stripe.payment_intent.canceled": PaymentIntentEvent,
      "stripe.charge.succeeded": ChargeEvent,
      "stripe.charge.dispute.created": DisputeEvent,
      "stripe.charge.dispute.closed": DisputeEvent,
      "stripe.account.updated": AccountEvent,
      "stripe.payout.failed": PayoutEvent,
      "app.order.created": OrderCreated,
      "app.order.fulfilled": OrderFulfilled,
    },
  },
  "crm-sync": {
    attempts: 8,
    backoffMs: 2_000,
    timeoutMs: 30_000,
    timeoutReason: "crm_timeout",
    jobs: {
      "app.user.signed_up": UserSignedUp,
      "switchyard.customer.changed": CustomerChanged,
      // A buyer's orders or a seller's Connect account moved (billing-sync's order handlers).
      "switchyard.order.changed": CustomerChanged,
      "hubspot.contact.creation": HubspotContactEvent,
      "hubspot.contact.propertyChange": HubspotContactEvent,
    },
  },
  "support-context": {
    attempts: 8,
    backoffMs: 2_000,
    timeoutMs: 30_000,
    timeoutReason: "support_timeout",
    jobs: {
      "zendesk.ticket.created": ZendeskTicketCreated,
      "app.support.requested": SupportRequested,
      // Billing or orders moved: the customer's open tickets get a corrected context note.
      "switchyard.customer.changed": CustomerChanged,
    },
  },
  "ai-triage": {
    attempts: 5,
    backoffMs: 2_000,
    timeoutMs: 30_000,
    timeoutReason: "ai_timeout",
    jobs: {
      "zendesk.ticket.created": ZendeskTicketCreated,
      "zendesk.ticket.comment_added": ZendeskCommentAdded,
      "app.support.requested": SupportRequested,
    },
  },
  actions: {
    attempts: 8,
    backoffMs: 2_000,
    timeoutMs: 30_000,
    // Most of what an approved action calls is Stripe; the desk's own timeouts carry support_timeout.
    timeoutReason: "billing_timeout",
    jobs: {
      // Emitted by the action gateway (POST /v1/actions, ai-triage) and by approvals, never routed from ingest.
      "switchyard.action.execute": ActionExecute,
    },
  },
} as const satisfies Record<WorkQueue, QueueSpec>;

export type JobCatalog = typeof JOB_CATALOG;
export type JobName<Q extends WorkQueue> = keyof JobCatalog[Q]["jobs"] & string;
export type JobPayload<Q extends WorkQueue, N extends JobName<Q>> = z.infer<JobCatalog[Q]["jobs"][N]>;
