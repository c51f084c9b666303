import { z } from "zod";

/** Only what ingest needs to record and route; workers validate the rest per event type. */
/** Longer types are not real ones, and would not fit the type index. */
const eventType = z.string().min(1).max(200);

export const StripeEventShape = z.object({
  id: z.string().min(1),
  type: eventType,
  created: z.number().int(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

export const HubspotEventShape = z.object({
  eventId: z.union([z.number(), z.string()]),
  subscriptionType: eventType,
  objectId: z.union([z.number(), z.string()]).optional(),
  occurredAt: z.number().optional(),
});
/** HubSpot batches up to 100 events in one signed request. */
export const HubspotBatchShape = z.array(HubspotEventShape).min(1).max(100);

export const ZendeskEventShape = z.object({
  id: z.string().min(1),
  type: eventType,
  detail: z.record(z.string(), z.unknown()).optional(),
});

export const StandardWebhookShape = z.object({
  type: eventType,
  timestamp: z.string().optional(),
  data: z.unknown(),
});
