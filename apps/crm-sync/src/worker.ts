import { hubspotCrm, localCrm } from "@switchyard/connectors";
import { recordSignup, syncContact } from "@switchyard/domain";
import { defineWorker, type JobContext } from "@switchyard/queue";

/** Signups and billing changes -> exactly one CRM contact per customer. */
export const crmSync = defineWorker("crm-sync", ({ db, config }) => {
  // A HubSpot token switches from the embedded CRM to HubSpot; the base URL lets tests use the fake.
  const crm = config.HUBSPOT_ACCESS_TOKEN
    ? hubspotCrm({
        token: config.HUBSPOT_ACCESS_TOKEN,
        baseUrl: config.HUBSPOT_API_BASE,
        timeoutMs: config.PROVIDER_TIMEOUT_MS,
      })
    : localCrm(db);
  const sync = (customer: Parameters<typeof syncContact>[2], ctx: JobContext) =>
    syncContact(db, crm, customer, {
      eventId: ctx.eventId,
      idempotencyKey: ctx.idempotencyKey("contact"),
      signal: ctx.signal,
    });
  const noted = async (_e: unknown, ctx: JobContext) => {
    // The CRM never drives billing or identity: its own changes are recorded, not applied.
    ctx.logger.info("CRM-side change recorded; not applied");
    return { applied: false };
  };
  return {
    "app.user.signed_up": async (e, ctx) => {
      // The row its own transaction committed: no need to read it back.
      const customer = await recordSignup(db, ctx.eventId, e.data, new Date(ctx.envelope.receivedAt));
      return sync(customer, ctx);
    },
    "switchyard.customer.changed": (p, ctx) => sync(p.customerId, ctx),
    "hubspot.contact.creation": noted,
    "hubspot.contact.propertyChange": noted,
  };
});
