import { z } from "zod";

const base = {
  occurredAt: z.iso.datetime({ offset: true }).optional(),
};
const userRef = {
  userId: z.string().min(1).max(200),
  email: z.email().max(320).optional(),
};

/** First-party events accepted on POST /v1/events. Unknown types are rejected, not guessed. */
export const AppEvent = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("user.signed_up"),
    ...base,
    data: z.object({
      ...userRef,
      email: z.email().max(320),
      name: z.string().max(200).optional(),
      plan: z.string().max(100).optional(),
    }),
  }),
  z.object({
    type: z.literal("user.logged_in"),
    ...base,
    data: z.object({ ...userRef, device: z.string().min(1).max(200), platform: z.string().min(1).max(100) }),
  }),
  z.object({
    type: z.literal("support.requested"),
    ...base,
    data: z.object({
      ...userRef,
      ticketId: z.string().max(200).optional(),
      subject: z.string().min(1).max(500),
      message: z.string().min(1).max(20_000),
    }),
  }),
  z.object({
    type: z.literal("automation.failed"),
    ...base,
    data: z.object({ ...userRef, step: z.string().min(1).max(200), error: z.string().max(2_000).optional() }),
  }),
]);
export type AppEvent = z.infer<typeof AppEvent>;
export const APP_EVENT_TYPES = AppEvent.options.map((o) => o.shape.type.value);
