import {
  type Classifier,
  type OpenAIUsage,
  openaiClassifier,
  rolloutDesk,
  rolloutFromConfig,
  rulesClassifier,
  settled,
  supportDesk,
  withFallback,
  zendeskDirectoryFor,
} from "@switchyard/connectors";
import {
  aiOutputPolicy,
  customerForTicket,
  type TicketRef,
  type TriageMeta,
  ticketFromAppRequest,
  ticketFromComment,
  ticketFromZendeskApi,
  triageMessage,
} from "@switchyard/domain";
import { processMetrics } from "@switchyard/metrics";
import { defineWorker, type JobContext } from "@switchyard/queue";

/** Support messages -> intent, urgency, sentiment, summary and draft; privileged asks go to a person. */
export const aiTriage = defineWorker("ai-triage", ({ db, config, metrics = processMetrics() }) => {
  const live = supportDesk(db, config);
  // Zendesk names a ticket's requester by id only: the Users API finds the customer by email.
  const directory = zendeskDirectoryFor(config);
  const rules = rulesClassifier();
  const aiOutput = aiOutputPolicy(config);
  // Under ROLLOUT_MODES the desk's writes may be recorded instead of made; off skips the job, as
  // support-context does (docs/ROLLOUT.md).
  const rollout = rolloutFromConfig(config);
  const scopeOf = (ctx: JobContext) => rollout.scope("ai-triage", ctx.envelope.source, ctx.eventId);

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
    // The customer first: whether their ticket is live or shadow may depend on who they are.
    const customer = await customerForTicket(db, ticket);
    const desk = rolloutDesk(db, live, rollout, scopeOf(ctx), customer);
    await desk.ensureTicket(
      {
        externalId: ticket.externalId,
        requesterEmail: ticket.requesterEmail,
        subject: ticket.subject,
        customerId: null,
      },
      { idempotencyKey: ctx.idempotencyKey("ticket"), signal: ctx.signal },
    );
    const chosen = await classifierFor(ticket, ctx);
    const { output, decision } = await triageMessage(
      db,
      { ...chosen, desk, aiOutput },
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
  const off = (ctx: JobContext) => scopeOf(ctx).mode === "off";
  return {
    "zendesk.ticket.created": async (e, ctx) =>
      off(ctx) ? { skipped: "off" } : triage(await ticketFromZendeskApi(e, directory, { signal: ctx.signal }), ctx),
    "zendesk.ticket.comment_added": async (e, ctx) =>
      off(ctx) ? { skipped: "off" } : triage(ticketFromComment(e), ctx),
    "app.support.requested": async (e, ctx) =>
      off(ctx) ? { skipped: "off" } : triage(ticketFromAppRequest(e, ctx.eventId), ctx),
  };
});
