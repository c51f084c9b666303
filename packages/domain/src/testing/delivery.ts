import { type Db, type DeliveryRef, recordEvent } from "@switchyard/db";

/**
 * An event recorded as ingest records it (received a second ago, routed to `queues`), and the
 * delivery of its job on the first of them: what a hot path's statements start and complete.
 */
export async function recordedDelivery(
  db: Db,
  opts: { source: string; sourceEventId: string; type: string; queues: string[] },
): Promise<{ event: { id: string }; ref: DeliveryRef; receivedAt: Date }> {
  const receivedAt = new Date(Date.now() - 1_000);
  const { event } = await recordEvent(db, {
    source: opts.source,
    sourceEventId: opts.sourceEventId,
    type: opts.type,
    payload: {},
    payloadHash: "h",
    status: "received",
    queues: opts.queues,
    receivedAt,
  });
  const queue = opts.queues[0] ?? "";
  const ref: DeliveryRef = { consumer: `${queue}/${opts.type}`, eventId: event.id, queue, jobId: `evt-${event.id}` };
  return { event, ref, receivedAt };
}
