import {
  APP_EVENT_TYPES,
  AppEvent,
  HubspotBatchShape,
  JOB_CATALOG,
  normalizeType,
  ROUTES,
  StripeEventShape,
  ZendeskEventShape,
} from "@switchyard/events";
import { zendeskUserId } from "@switchyard/testkit";
import { describe, expect, it } from "vitest";
import { closest } from "./command.ts";
import { DEFAULT_WHO, SAMPLES, sourceOf } from "./samples.ts";

const who = { email: "grace@example.com", userId: "u-grace" };

/** What ingest records for a body: the provider's type, normalized, and the payload each queue receives. */
function asIngestSees(type: string, body: unknown): { type: string; payload: unknown }[] {
  const source = sourceOf(type);
  if (source === "stripe") {
    const e = StripeEventShape.parse(body);
    return [{ type: normalizeType(source, e.type), payload: body }];
  }
  if (source === "hubspot") {
    return HubspotBatchShape.parse(body).map((e, i) => ({
      type: normalizeType(source, e.subscriptionType),
      payload: (body as unknown[])[i],
    }));
  }
  if (source === "zendesk") {
    const e = ZendeskEventShape.parse(body);
    return [{ type: normalizeType(source, e.type), payload: body }];
  }
  const e = AppEvent.parse(body);
  return [{ type: normalizeType(source, e.type), payload: body }];
}

describe("./sy trigger's samples", () => {
  it("cover every routed type, and every app event type besides", () => {
    expect(Object.keys(ROUTES).filter((t) => !SAMPLES[t])).toEqual([]);
    const extra = Object.keys(SAMPLES).filter((t) => !ROUTES[t]);
    expect(extra.sort()).toEqual(
      APP_EVENT_TYPES.map((t) => `app.${t}`)
        .filter((t) => !ROUTES[t])
        .sort(),
    );
  });

  it.each(Object.keys(SAMPLES))(
    "%s passes ingest's shape under its own name and every routed queue's schema",
    (name) => {
      const seen = asIngestSees(name, SAMPLES[name]?.(who));
      expect(seen).toHaveLength(1);
      const [event] = seen;
      expect(event?.type).toBe(name);
      for (const queue of ROUTES[name] ?? []) {
        const schema = (JOB_CATALOG[queue].jobs as Record<string, { safeParse(v: unknown): { success: boolean } }>)[
          name
        ];
        expect(schema, `${queue} declares ${name}`).toBeDefined();
        const parsed = schema?.safeParse(event?.payload);
        expect(parsed?.success, `${queue} accepts the ${name} sample: ${JSON.stringify(parsed)}`).toBe(true);
      }
    },
  );

  it("fresh provider ids every time, so two triggers are two events", () => {
    for (const name of Object.keys(SAMPLES).filter((t) => sourceOf(t) !== "app")) {
      const build = SAMPLES[name];
      expect(JSON.stringify(build?.(who)), name).not.toBe(JSON.stringify(build?.(who)));
    }
  });

  it("--email and --user reach the sample wherever the provider carries them", () => {
    const text = (name: string) => JSON.stringify(SAMPLES[name]?.(who));
    for (const name of [
      "stripe.checkout.session.completed",
      "stripe.invoice.paid",
      "stripe.invoice.payment_failed",
      "stripe.charge.refunded",
      "hubspot.contact.propertyChange",
      "app.user.signed_up",
      "app.support.requested",
    ]) {
      expect(text(name), name).toContain(who.email);
      expect(text(name), name).not.toContain(DEFAULT_WHO.email);
    }
    // Zendesk's ticket event names the requester by id only: the one the testkit's Zendesk fake gives that email.
    for (const name of ["zendesk.ticket.created", "zendesk.ticket.comment_added"]) {
      const ticket = SAMPLES[name]?.(who) as { detail: { requester_id: string } };
      expect(ticket.detail.requester_id, name).toBe(String(zendeskUserId(who.email)));
      expect(JSON.stringify(ticket), name).not.toContain(who.email);
    }
    for (const name of [
      "stripe.checkout.session.completed",
      "stripe.customer.subscription.updated",
      "app.user.logged_in",
    ]) {
      expect(text(name), name).toContain(who.userId);
    }
    // One Stripe customer per app user, so a checkout and its invoices land on one person.
    const checkout = SAMPLES["stripe.checkout.session.completed"]?.(who) as { data: { object: { customer: string } } };
    const invoice = SAMPLES["stripe.invoice.paid"]?.(who) as { data: { object: { customer: string } } };
    expect(checkout.data.object.customer).toBe("cus_ugrace");
    expect(invoice.data.object.customer).toBe(checkout.data.object.customer);
  });

  it("a typo finds the name it meant", () => {
    const names = Object.keys(SAMPLES);
    expect(closest("stripe.invoice.payed", names)).toBe("stripe.invoice.paid");
    expect(closest("zendesk.ticket.create", names)).toBe("zendesk.ticket.created");
    expect(closest("hubspot.contact.property_change", names)).toBe("hubspot.contact.propertyChange");
    expect(closest("github.push", names)).toBeUndefined();
  });
});
