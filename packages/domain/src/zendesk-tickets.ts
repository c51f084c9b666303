import type { ZendeskDirectory } from "@switchyard/connectors";
import type { ZendeskTicketCreated } from "@switchyard/events";
import type { z } from "zod";
import { type TicketRef, ticketFromZendesk } from "./tickets.ts";

/**
 * A Zendesk ticket event made whole from Zendesk's own APIs. The event names the requester only
 * by `requester_id`, so the email that finds the customer comes from the Users API; a subject or
 * description the event lacks comes from the ticket. Without Zendesk's API configured the event
 * is all there is.
 */
export async function ticketFromZendeskApi(
  e: z.infer<typeof ZendeskTicketCreated>,
  directory: ZendeskDirectory | undefined,
  opts: { signal?: AbortSignal } = {},
): Promise<TicketRef> {
  const ref = ticketFromZendesk(e);
  if (!directory) return ref;
  let requesterId = e.detail.requester_id ?? null;
  let subject = ref.subject;
  let message = e.detail.description ?? null;
  if ((!subject || !message || requesterId === null) && /^\d+$/.test(ref.externalId)) {
    const ticket = await directory.ticket(ref.externalId, opts);
    if (ticket) {
      subject = subject ?? ticket.subject;
      message = message ?? ticket.description;
      requesterId = requesterId ?? ticket.requester_id;
    }
  }
  let requesterEmail = ref.requesterEmail;
  if (!requesterEmail && requesterId !== null && /^\d+$/.test(String(requesterId))) {
    requesterEmail = (await directory.user(requesterId, opts))?.email ?? null;
  }
  return { ...ref, requesterEmail, subject, message: message ?? subject ?? "" };
}
