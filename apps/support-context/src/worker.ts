import { supportDesk } from "@switchyard/connectors";
import {
  attachContext,
  customerForTicket,
  type TicketRef,
  ticketFromAppRequest,
  ticketFromZendesk,
} from "@switchyard/domain";
import { defineWorker, type JobContext } from "@switchyard/queue";

/** A new ticket gets one internal note with the customer's context, per context change. */
export const supportContext = defineWorker("support-context", ({ db, config }) => {
  const desk = supportDesk(db, config);
  const attach = async (ticket: TicketRef, ctx: JobContext) => {
    const customer = await customerForTicket(db, ticket);
    const { noteId, created } = await attachContext(db, desk, ticket, customer, {
      eventId: ctx.eventId,
      signal: ctx.signal,
    });
    return { ticket: ticket.externalId, noteId, created, customerId: customer?.id ?? null };
  };
  return {
    "zendesk.ticket.created": (e, ctx) => attach(ticketFromZendesk(e), ctx),
    "app.support.requested": (e, ctx) => attach(ticketFromAppRequest(e, ctx.eventId), ctx),
  };
});
