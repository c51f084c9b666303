import { rulesClassifier, supportDesk } from "@switchyard/connectors";
import {
  customerForTicket,
  type TicketRef,
  ticketFromAppRequest,
  ticketFromComment,
  ticketFromZendesk,
  triageMessage,
} from "@switchyard/domain";
import { defineWorker, type JobContext } from "@switchyard/queue";

/** Support messages -> intent, urgency, sentiment, summary and draft; privileged asks go to a person. */
export const aiTriage = defineWorker("ai-triage", ({ db, config }) => {
  const desk = supportDesk(db, {
    baseUrl: config.ZENDESK_API_BASE,
    email: config.ZENDESK_EMAIL,
    apiToken: config.ZENDESK_API_TOKEN,
    timeoutMs: config.PROVIDER_TIMEOUT_MS,
  });
  const classifier = rulesClassifier();
  const triage = async (ticket: TicketRef, ctx: JobContext) => {
    await desk.ensureTicket(
      {
        externalId: ticket.externalId,
        requesterEmail: ticket.requesterEmail,
        subject: ticket.subject,
        customerId: null,
      },
      { idempotencyKey: ctx.idempotencyKey("ticket"), signal: ctx.signal },
    );
    const customer = await customerForTicket(db, ticket);
    const { output, decision } = await triageMessage(
      db,
      { classifier, desk },
      {
        eventId: ctx.eventId,
        ticketExternalId: ticket.externalId,
        customer,
        input: { subject: ticket.subject, message: ticket.message },
        signal: ctx.signal,
      },
    );
    return { intent: output.intent, review: decision.review.map((r) => r.kind) };
  };
  return {
    "zendesk.ticket.created": (e, ctx) => triage(ticketFromZendesk(e), ctx),
    "zendesk.ticket.comment_added": (e, ctx) => triage(ticketFromComment(e), ctx),
    "app.support.requested": (e, ctx) => triage(ticketFromAppRequest(e, ctx.eventId), ctx),
  };
});
