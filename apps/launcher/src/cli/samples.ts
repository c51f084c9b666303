import { randomInt } from "node:crypto";
import {
  accountUpdated,
  chargeEvent,
  checkoutCompleted,
  checkoutPaymentCompleted,
  disputeEvent,
  hubspotContactCreated,
  invoicePaid,
  invoicePaymentFailed,
  orderCreatedEvent,
  orderFixture,
  paymentIntentEvent,
  payoutFailed,
  stripeEvent,
  subscriptionUpdated,
  zendeskTicketCreated,
} from "@switchyard/testkit";

/** The customer a sample is about. */
export interface Who {
  email: string;
  userId: string;
}

export const DEFAULT_WHO: Who = { email: "ada@example.com", userId: "u-ada" };

/** What `./sy trigger` sends for a type: the body exactly as the provider (or the app) would post it. */
export type Sample = (who: Who) => unknown;

// Stripe ids are letters and digits after the prefix; the user id keeps one customer per person.
const stripeIds = (who: Who) => {
  const key = who.userId.replace(/[^A-Za-z0-9]/g, "") || "user";
  return { customer: `cus_${key}`, subscription: `sub_${key}` };
};

type StripeEvent = ReturnType<typeof stripeEvent>;
const withObject = (e: StripeEvent, extra: Record<string, unknown>, type = e.type): StripeEvent => ({
  ...e,
  type,
  data: { object: { ...e.data.object, ...extra } },
});

/** Stripe's own invoice field; it lets billing-sync link the customer without waiting for a checkout. */
const invoiceFor = (who: Who) => ({ customer_email: who.email });

const subscription = (type: string, status: string) => (who: Who) =>
  // metadata.user_id is where Switchyard reads the app's user from a subscription (billing-facts.ts).
  withObject(
    subscriptionUpdated({
      ...stripeIds(who),
      type,
      status,
      plan: "pro",
      periodEnd: Math.floor(Date.now() / 1000) + 30 * 86_400,
    }),
    { metadata: { user_id: who.userId } },
  );

const ticketId = () => String(randomInt(10_000, 100_000));

/** Zendesk's ticket.created, with the subject and description its `detail` carries. */
const zendeskTicket = (who: Who) => {
  const e = zendeskTicketCreated({ ticketId: ticketId(), requesterEmail: who.email });
  return { ...e, detail: { ...e.detail, subject: "Export", description: "Where can I download all my invoices?" } };
};

const SAMPLE_SELLER_ACCOUNT = "acct_1SampleSeller";
/** The same order for the same person, so the samples of one purchase meet on one order row. */
const order = (who: Who) => {
  const key = who.userId.replace(/[^A-Za-z0-9]/g, "") || "user";
  return orderFixture({
    orderId: `ord_${key}`,
    session: `cs_test_${key}`,
    paymentIntent: `pi_${key}`,
    charge: `ch_${key}`,
    customer: stripeIds(who).customer,
    buyer: { userId: who.userId, email: who.email },
    seller: { userId: "u-seller", email: "seller@example.com", stripeAccountId: SAMPLE_SELLER_ACCOUNT },
    applicationFee: 250,
  });
};

/**
 * One sample per type, keyed as the routing table names them. Provider samples come from the
 * testkit fixtures the test suites use; the three types those do not cover are built to the
 * provider's documented shape, with only the fields its documentation lists.
 */
export const SAMPLES: Readonly<Record<string, Sample>> = {
  "stripe.checkout.session.completed": (who) =>
    checkoutCompleted({ ...stripeIds(who), userId: who.userId, email: who.email, plan: "pro" }),
  "stripe.customer.subscription.created": subscription("customer.subscription.created", "active"),
  "stripe.customer.subscription.updated": subscription("customer.subscription.updated", "active"),
  "stripe.customer.subscription.deleted": subscription("customer.subscription.deleted", "canceled"),
  "stripe.customer.subscription.paused": subscription("customer.subscription.paused", "paused"),
  "stripe.customer.subscription.resumed": subscription("customer.subscription.resumed", "active"),
  "stripe.invoice.paid": (who) => withObject(invoicePaid({ ...stripeIds(who), plan: "pro" }), invoiceFor(who)),
  "stripe.invoice.payment_failed": (who) => withObject(invoicePaymentFailed(stripeIds(who)), invoiceFor(who)),
  // Stripe sends the same open, unpaid invoice when the customer must complete 3-D Secure.
  "stripe.invoice.payment_action_required": (who) =>
    withObject(invoicePaymentFailed(stripeIds(who)), invoiceFor(who), "invoice.payment_action_required"),
  // A Charge object (docs.stripe.com/api/charges/object), refunded in full.
  "stripe.charge.refunded": (who) =>
    stripeEvent("charge.refunded", {
      id: `ch_${randomInt(1e9, 1e10)}`,
      object: "charge",
      amount: 4_900,
      amount_captured: 4_900,
      amount_refunded: 4_900,
      captured: true,
      currency: "usd",
      customer: stripeIds(who).customer,
      paid: true,
      receipt_email: who.email,
      refunded: true,
      status: "succeeded",
      metadata: {},
    }),
  // One-off payments and marketplace orders (testkit's fixtures-orders.ts, from Stripe's object docs).
  "stripe.checkout.session.async_payment_succeeded": (who) =>
    checkoutPaymentCompleted(order(who), { type: "checkout.session.async_payment_succeeded" }),
  "stripe.checkout.session.async_payment_failed": (who) =>
    checkoutPaymentCompleted(order(who), { type: "checkout.session.async_payment_failed", paymentStatus: "unpaid" }),
  "stripe.payment_intent.succeeded": (who) => paymentIntentEvent(order(who), "payment_intent.succeeded"),
  "stripe.payment_intent.payment_failed": (who) => paymentIntentEvent(order(who), "payment_intent.payment_failed"),
  "stripe.payment_intent.canceled": (who) => paymentIntentEvent(order(who), "payment_intent.canceled"),
  "stripe.charge.succeeded": (who) => chargeEvent(order(who), "charge.succeeded"),
  "stripe.charge.dispute.created": (who) => disputeEvent(order(who), "charge.dispute.created"),
  "stripe.charge.dispute.closed": (who) => disputeEvent(order(who), "charge.dispute.closed"),
  // Connect events carry `account`: ingest checks them with STRIPE_CONNECT_WEBHOOK_SECRET.
  "stripe.account.updated": () => accountUpdated(SAMPLE_SELLER_ACCOUNT, { currentlyDue: ["external_account"] }),
  "stripe.payout.failed": () => payoutFailed(SAMPLE_SELLER_ACCOUNT),
  "app.order.created": (who) => orderCreatedEvent(order(who)),
  "app.order.fulfilled": (who) => ({ type: "order.fulfilled", data: { orderId: order(who).orderId } }),
  // HubSpot posts a batch; a contact event names the contact by objectId only.
  "hubspot.contact.creation": () => [hubspotContactCreated()],
  // A property change carries propertyName and propertyValue and no changeFlag (HubSpot's webhook docs).
  "hubspot.contact.propertyChange": (who) => {
    const { changeFlag: _created, ...event } = hubspotContactCreated();
    return [{ ...event, subscriptionType: "contact.propertyChange", propertyName: "email", propertyValue: who.email }];
  },
  "zendesk.ticket.created": zendeskTicket,
  // Zendesk's comment_added: the ticket in `detail`, the comment in `event.comment`.
  "zendesk.ticket.comment_added": (who) => ({
    ...zendeskTicket(who),
    type: "zen:event-type:ticket.comment_added",
    event: {
      comment: {
        id: String(randomInt(1e9, 1e10)),
        body: "Thanks — and can I get those as PDFs?",
        is_public: true,
        author: { id: String(randomInt(1e9, 1e10)), is_staff: false, name: who.email.split("@")[0] },
      },
    },
  }),
  "app.user.signed_up": (who) => ({ type: "user.signed_up", data: { userId: who.userId, email: who.email } }),
  "app.support.requested": (who) => ({
    type: "support.requested",
    data: {
      userId: who.userId,
      email: who.email,
      subject: "Export",
      message: "Where can I download all my invoices?",
    },
  }),
  // Recorded, not routed: they feed the context notes and the timeline.
  "app.user.logged_in": (who) => ({
    type: "user.logged_in",
    data: { userId: who.userId, device: "MacBook Pro", platform: "macos" },
  }),
  "app.onboarding.completed": (who) => ({ type: "onboarding.completed", data: { userId: who.userId } }),
  "app.automation.failed": (who) => ({
    type: "automation.failed",
    data: { userId: who.userId, step: "charge-retry", error: "card_declined" },
  }),
};

export const sourceOf = (type: string): string => type.slice(0, type.indexOf("."));
