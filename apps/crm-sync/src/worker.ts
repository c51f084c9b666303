import { hubspotCrm, localCrm, rolloutCrm, rolloutFromConfig } from "@switchyard/connectors";
import {
  type ContactView,
  recordSignup,
  startCustomerRead,
  startSignup,
  syncOrderContact,
  writeContact,
} from "@switchyard/domain";
import { PermanentError } from "@switchyard/events";
import { ALREADY_DELIVERED, defineWorker, delivered, type JobContext } from "@switchyard/queue";

/** Signups and billing changes -> exactly one CRM contact per customer. */
export const crmSync = defineWorker(
  "crm-sync",
  ({ db, config }) => {
    // A HubSpot token switches from the embedded CRM to HubSpot; the base URL lets tests use the fake.
    const crm = config.HUBSPOT_ACCESS_TOKEN
      ? hubspotCrm({
          token: config.HUBSPOT_ACCESS_TOKEN,
          baseUrl: config.HUBSPOT_API_BASE,
          timeoutMs: config.PROVIDER_TIMEOUT_MS,
          db,
        })
      : localCrm(db);
    const rollout = rolloutFromConfig(config);
    const options = (ctx: JobContext) => ({
      eventId: ctx.eventId,
      idempotencyKey: ctx.idempotencyKey("contact"),
      signal: ctx.signal,
    });
    // Under ROLLOUT_MODES the write may be recorded instead of made, or skipped (docs/ROLLOUT.md).
    const crmFor = (ctx: JobContext) =>
      rolloutCrm(db, crm, rollout, rollout.scope("crm-sync", ctx.envelope.source, ctx.eventId));
    const finish = async (customer: ContactView, attempt: number, ctx: JobContext, target = crmFor(ctx)) => {
      const written = await writeContact(db, target, ctx.delivery, customer, options(ctx));
      return delivered(written.result, written.completion, attempt);
    };
    const noted = async (_e: unknown, ctx: JobContext) => {
      // The CRM never drives billing or identity: its own changes are recorded, not applied.
      ctx.logger.info("CRM-side change recorded; not applied");
      return { applied: false };
    };
    return {
      "app.user.signed_up": async (e, ctx) => {
        const at = new Date(ctx.envelope.receivedAt);
        // On the embedded CRM, live, a new user's contact is written by the first statement too.
        const target = crmFor(ctx);
        const started = await startSignup(db, ctx.delivery, e.data, at, { localContact: target.name === "local" });
        if (started.attempt === undefined) return ALREADY_DELIVERED;
        if (started.written) return delivered(started.written.result, started.written.completion, started.attempt);
        // Another job created this customer at the same moment: the locking path finds it.
        const customer = started.customer ?? (await recordSignup(db, ctx.eventId, e.data, at));
        return finish(customer, started.attempt, ctx, target);
      },
      "switchyard.customer.changed": async (p, ctx) => {
        const started = await startCustomerRead(db, ctx.delivery, p.customerId);
        if (started.attempt === undefined) return ALREADY_DELIVERED;
        if (!started.customer) throw new PermanentError("invalid_payload", `customer ${p.customerId} does not exist`);
        return finish(started.customer, started.attempt, ctx);
      },
      "switchyard.order.changed": (p, ctx) => syncOrderContact(db, crm, p.customerId, options(ctx)),
      "hubspot.contact.creation": noted,
      "hubspot.contact.propertyChange": noted,
    };
  },
  { ownsLedger: ["app.user.signed_up", "switchyard.customer.changed"] },
);
