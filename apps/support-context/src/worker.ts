import type { WorkerDefinition } from "@switchyard/queue";

/** Consumes the support-context queue. For now it acknowledges each event; the sync logic builds on this. */
export const supportContext: WorkerDefinition = {
  queue: "support-context",
  async handle(envelope, { logger }) {
    logger.info("event received", { eventId: envelope.eventId, type: envelope.type, requestId: envelope.requestId });
  },
};
