import { z } from "zod";
import { AppEvent } from "./app-events.ts";

const appEventOf = <T extends AppEvent["type"]>(type: T) =>
  AppEvent.options.find((o) => o.shape.type.value === type) as Extract<
    (typeof AppEvent.options)[number],
    { shape: { type: z.ZodLiteral<T> } }
  >;

export const UserSignedUp = appEventOf("user.signed_up");
export const SupportRequested = appEventOf("support.requested");
export const OrderCreated = appEventOf("order.created");
export const OrderFulfilled = appEventOf("order.fulfilled");

/** Zendesk's event webhook for a new ticket; the requester's email rides in `detail` when the trigger adds it. */
export const ZendeskTicketCreated = z.object({
  id: z.string(),
  type: z.string(),
  time: z.string().optional(),
  detail: z.object({
    id: z.union([z.string(), z.number()]).transform(String),
    subject: z.string().nullish(),
    description: z.string().nullish(),
    requester_email: z.string().nullish(),
    requester: z.object({ email: z.string().nullish() }).nullish(),
    requester_id: z.union([z.string(), z.number()]).nullish(),
  }),
});

export const ZendeskCommentAdded = z.object({
  id: z.string(),
  type: z.string(),
  detail: z.object({ id: z.union([z.string(), z.number()]).transform(String), requester_email: z.string().nullish() }),
  event: z.object({ comment: z.object({ body: z.string(), is_public: z.boolean().optional() }) }),
});

/** Emitted by billing-sync when a customer's lifecycle or plan changes; crm-sync re-reads the customer. */
export const CustomerChanged = z.object({ customerId: z.uuid() });

export const HubspotContactEvent = z.object({
  eventId: z.union([z.number(), z.string()]),
  subscriptionType: z.string(),
  objectId: z.union([z.number(), z.string()]).optional(),
});
