import type { WorkQueue } from "./queues.ts";

/**
 * Normalized event type -> the queues that must see it. Normalized types are `<source>.<type>`
 * (Zendesk's `zen:event-type:` prefix dropped). A type that is absent is recorded but not routed.
 */
export const ROUTES: Readonly<Record<string, readonly WorkQueue[]>> = {
  "stripe.checkout.session.completed": ["billing-sync"],
  "stripe.customer.subscription.created": ["billing-sync"],
  "stripe.customer.subscription.updated": ["billing-sync"],
  "stripe.customer.subscription.deleted": ["billing-sync"],
  "stripe.customer.subscription.paused": ["billing-sync"],
  "stripe.customer.subscription.resumed": ["billing-sync"],
  "stripe.invoice.paid": ["billing-sync"],
  "stripe.invoice.payment_failed": ["billing-sync"],
  "stripe.invoice.payment_action_required": ["billing-sync"],
  "stripe.charge.refunded": ["billing-sync"],
  "app.user.signed_up": ["crm-sync"],
  "app.support.requested": ["support-context", "ai-triage"],
  "zendesk.ticket.created": ["support-context", "ai-triage"],
  "zendesk.ticket.comment_added": ["ai-triage"],
  "hubspot.contact.creation": ["crm-sync"],
  "hubspot.contact.propertyChange": ["crm-sync"],
};

export function normalizeType(source: string, type: string): string {
  const bare = source === "zendesk" ? type.replace(/^zen:event-type:/, "") : type;
  return `${source}.${bare}`;
}

export function routeFor(normalizedType: string): readonly WorkQueue[] {
  return ROUTES[normalizedType] ?? [];
}
