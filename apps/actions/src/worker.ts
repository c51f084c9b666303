import { noBillingActions, stripeActions, supportDesk } from "@switchyard/connectors";
import { runAction } from "@switchyard/domain";
import { defineWorker } from "@switchyard/queue";

/**
 * Runs what the action gateway let through: low-risk actions at once, privileged ones after a
 * person approved them. Each connector call carries a key derived from the action id, so a retry,
 * a re-drive or a second approval never refunds or changes a subscription twice.
 */
export const actions = defineWorker("actions", ({ db, config }) => {
  const desk = supportDesk(db, config);
  const billing = config.STRIPE_SECRET_KEY
    ? stripeActions({
        secretKey: config.STRIPE_SECRET_KEY,
        apiBase: config.STRIPE_API_BASE,
        timeoutMs: config.PROVIDER_TIMEOUT_MS,
      })
    : noBillingActions;
  return {
    "switchyard.action.execute": (p, ctx) => runAction(db, { desk, billing }, p.actionId, { signal: ctx.signal }),
  };
});
