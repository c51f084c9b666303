import type { WorkerDefinition } from "@switchyard/queue";

/** Consumes the ai-triage queue. For now it acknowledges each event; the sync logic builds on this. */
export const aiTriage: WorkerDefinition = {
  queue: "ai-triage",
  async handle(envelope, { logger }) {
    logger.info("event received", { eventId: envelope.eventId, type: envelope.type, requestId: envelope.requestId });
  },
};
