import {
  type Classifier,
  type OpenAIUsage,
  openaiClassifier,
  rulesClassifier,
  settled,
  supportDesk,
  withFallback,
} from "@switchyard/connectors";
import {
  customerForTicket,
  type TicketRef,
  type TriageMeta,
  ticketFromAppRequest,
  ticketFromComment,
  ticketFromZendesk,
  triageMessage,
} from "@switchyard/domain";
import { processMetrics } from "@switchyard/metrics";
import { defineWorker, type JobContext } from "@switchyard/queue";

/** Support messages -> intent, urgency, sentiment, summary and draft; privileged asks go to a person. */
export const aiTriage = defineWorker("ai-triage", ({ db, config, metrics = processMetrics() }) => {
  const desk = supportDesk(db, config);
  const rules = rulesClassifier();

  /** The model when configured (the rules answer if it fails or is late), else the rules alone. */
  async function classifierFor(ticket: TicketRef, ctx: JobContext): Promise<{ classifier: Classifier } & TriageMeta> {
    const apiKey = config.OPENAI_API_KEY;
    if (!apiKey) return { classifier: rules };
    let usage: OpenAIUsage | undefined;
    const model = openaiClassifier({
      apiKey,
      model: config.OPENAI_MODEL,
      timeoutMs: config.OPENAI_TIMEOUT_MS,
      ...(config.OPENAI_BASE_URL ? { baseUrl: config.OPENAI_BASE_URL } : {}),
      onUsage: (u) => {
        usage = u;
        metrics.openaiTokens.inc({ kind: "prompt" }, u.promptTokens);
        metrics.openaiTokens.inc({ kind: "completion" }, u.completionTokens);
      },
      onRequest: ({ ok, reason }) => {
        metrics.openaiRequests.inc({ outcome: ok ? "ok" : "error" });
        if (!ok) metrics.openaiErrors.inc({ reason: reason ?? "unknown" });
      },
    });
    const result = await withFallback(model, rules, {
      deadlineMs: config.OPENAI_TIMEOUT_MS,
      onDegraded: ({ reason }) => metrics.openaiDegraded.inc({ reason }),
    }).classifyWithFallback({ subject: ticket.subject, message: ticket.message }, { signal: ctx.signal });
    if (result.degraded) ctx.logger.warn("triage degraded to rules", { reason: result.reason });
    return { classifier: settled(result), degraded: result.degraded, degradedReason: result.reason, usage };
  }

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
    const chosen = await classifierFor(ticket, ctx);
    const { output, decision } = await triageMessage(
      db,
      { ...chosen, desk },
      {
        eventId: ctx.eventId,
        ticketExternalId: ticket.externalId,
        customer,
        input: { subject: ticket.subject, message: ticket.message },
        signal: ctx.signal,
      },
    );
    return { intent: output.intent, degraded: chosen.degraded ?? false, review: decision.review.map((r) => r.kind) };
  };
  return {
    "zendesk.ticket.created": (e, ctx) => triage(ticketFromZendesk(e), ctx),
    "zendesk.ticket.comment_added": (e, ctx) => triage(ticketFromComment(e), ctx),
    "app.support.requested": (e, ctx) => triage(ticketFromAppRequest(e, ctx.eventId), ctx),
  };
});
