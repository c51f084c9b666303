import type { Db } from "@switchyard/db";
import type { SupportRequested, ZendeskCommentAdded, ZendeskTicketCreated } from "@switchyard/events";
import type { z } from "zod";
import { type Customer, findCustomer } from "./customers.ts";

export interface TicketRef {
  externalId: string;
  requesterEmail: string | null;
  subject: string | null;
  /** The customer's words, for triage. */
  message: string;
  userId: string | null;
}

/** Zendesk names its ticket; an app's support request without one gets a ticket keyed by its event. */
export function ticketFromZendesk(e: z.infer<typeof ZendeskTicketCreated>): TicketRef {
  return {
    externalId: e.detail.id,
    requesterEmail: e.detail.requester_email ?? e.detail.requester?.email ?? null,
    subject: e.detail.subject ?? null,
    message: e.detail.description ?? e.detail.subject ?? "",
    userId: null,
  };
}

export function ticketFromComment(e: z.infer<typeof ZendeskCommentAdded>): TicketRef {
  return {
    externalId: e.detail.id,
    requesterEmail: e.detail.requester_email ?? null,
    subject: null,
    message: e.event.comment.body,
    userId: null,
  };
}

export function ticketFromAppRequest(e: z.infer<typeof SupportRequested>, eventId: string): TicketRef {
  return {
    externalId: e.data.ticketId ?? `app-${eventId}`,
    requesterEmail: e.data.email ?? null,
    subject: e.data.subject,
    message: e.data.message,
    userId: e.data.userId,
  };
}

export async function customerForTicket(db: Db, ticket: TicketRef): Promise<Customer | undefined> {
  const byUser = ticket.userId ? await findCustomer(db, { externalId: ticket.userId }) : undefined;
  return byUser ?? (ticket.requesterEmail ? await findCustomer(db, { email: ticket.requesterEmail }) : undefined);
}
