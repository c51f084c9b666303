import type { WorkerDefinition } from "@switchyard/queue";

/** Consumes the billing-sync queue. For now it acknowledges each event; the sync logic builds on this. */
export const billingSync: WorkerDefinition = {
  queue: "billing-sync",
  async handle(envelope, { logger }) {
    logger.info("event received", { eventId: envelope.eventId, type: envelope.type, requestId: envelope.requestId });
  },
};
