import { z } from "zod";

/** What every work queue receives: the recorded event, not a reference to fetch. */
export const EventEnvelope = z.object({
  eventId: z.uuid(),
  source: z.string(),
  sourceEventId: z.string(),
  type: z.string(),
  receivedAt: z.iso.datetime(),
  requestId: z.string().optional(),
  payload: z.unknown(),
});
export type EventEnvelope = z.infer<typeof EventEnvelope>;

/** BullMQ forbids ':' in custom job ids; event ids are uuids, so they are used as they are. */
export function jobIdFor(eventId: string): string {
  return `evt-${eventId}`;
}
