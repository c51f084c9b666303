import type { z } from "zod";
import type { WorkQueue } from "./queues.ts";
import type { ReasonCode } from "./reasons.ts";
import { ChargeRefunded, CheckoutSessionCompleted, InvoiceEvent, SubscriptionEvent } from "./stripe-payloads.ts";
import {
  CustomerChanged,
  HubspotContactEvent,
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
} as const satisfies Record<WorkQueue, QueueSpec>;

export type JobCatalog = typeof JOB_CATALOG;
export type JobName<Q extends WorkQueue> = keyof JobCatalog[Q]["jobs"] & string;
export type JobPayload<Q extends WorkQueue, N extends JobName<Q>> = z.infer<JobCatalog[Q]["jobs"][N]>;
