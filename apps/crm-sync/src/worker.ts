import type { WorkerDefinition } from "@switchyard/queue";

/** Consumes the crm-sync queue. For now it acknowledges each event; the sync logic builds on this. */
export const crmSync: WorkerDefinition = {
  queue: "crm-sync",
  async handle(envelope, { logger }) {
    logger.info("event received", { eventId: envelope.eventId, type: envelope.type, requestId: envelope.requestId });
  },
};
