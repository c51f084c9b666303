import { z } from "zod";

/** Only what ingest needs to record and route; workers validate the rest per event type. */
export const StripeEventShape = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  created: z.number().int(),
  data: z.object({ object: z.record(z.string(), z.unknown()) }),
});

export const HubspotEventShape = z.object({
  eventId: z.union([z.number(), z.string()]),
  subscriptionType: z.string().min(1),
  objectId: z.union([z.number(), z.string()]).optional(),
  occurredAt: z.number().optional(),
});
/** HubSpot batches up to 100 events in one signed request. */
export const HubspotBatchShape = z.array(HubspotEventShape).min(1).max(100);

export const ZendeskEventShape = z.object({
  id: z.string().min(1),
  type: z.string().min(1),
  detail: z.record(z.string(), z.unknown()).optional(),
});

export const StandardWebhookShape = z.object({
  type: z.string().min(1),
  timestamp: z.string().optional(),
  data: z.unknown(),
});
