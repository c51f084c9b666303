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
      /** The app's own label for the request; `onboarding` ties the ticket to onboarding (a KPI). */
      category: z.string().min(1).max(100).optional(),
    }),
  }),
  z.object({
    // The user finished the app's onboarding: with user.logged_in, what the onboarding drop-off KPI looks for.
    type: z.literal("onboarding.completed"),
    ...base,
    data: z.object({ ...userRef }),
  }),
  z.object({
    // A marketplace order placed in the app; orderId is what the app puts in metadata.order_id on Stripe's objects.
    type: z.literal("order.created"),
    ...base,
    data: z.object({
      orderId: z.string().min(1).max(200),
      buyer: z.object({ ...userRef, name: z.string().max(200).optional() }),
      seller: z
        .object({
          ...userRef,
          name: z.string().max(200).optional(),
          stripeAccountId: z.string().min(1).max(200).optional(),
        })
        .optional(),
      items: z
        .array(
          z.object({
            sku: z.string().min(1).max(200),
            name: z.string().max(500).optional(),
            quantity: z.number().int().min(1),
            unitAmount: z.number().int().min(0),
          }),
        )
        .max(500)
        .default([]),
      amount: z.number().int().min(0),
      currency: z.string().min(3).max(3),
      applicationFee: z.number().int().min(0).optional(),
    }),
  }),
  z.object({
    // The app delivered what was bought; legal only once the order is paid.
    type: z.literal("order.fulfilled"),
    ...base,
    data: z.object({ orderId: z.string().min(1).max(200) }),
  }),
  z.object({
    type: z.literal("automation.failed"),
    ...base,
    data: z.object({ ...userRef, step: z.string().min(1).max(200), error: z.string().max(2_000).optional() }),
  }),
]);
export type AppEvent = z.infer<typeof AppEvent>;
export const APP_EVENT_TYPES = AppEvent.options.map((o) => o.shape.type.value);
