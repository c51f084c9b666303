import type { Config, Logger } from "@switchyard/config";
import { stripeEventLister } from "@switchyard/connectors";
import type { Db } from "@switchyard/db";
import type { Metrics } from "@switchyard/metrics";
import {
  type Alerter,
  type Dispatcher,
  type ReconcileResult,
  reconcileLeaseMs,
  reconcileOnce,
} from "@switchyard/queue";

export interface StripeReconcileDeps {
  config: Config;
  db: Db;
  dispatcher: Dispatcher;
  logger: Logger;
  alerter?: Alerter;
  metrics?: Metrics;
}

/**
 * One reconcile of Stripe's event list (STRIPE_SECRET_KEY, STRIPE_API_BASE): what admin's job
 * scheduler runs every RECONCILE_INTERVAL_MS and `./sy reconcile` runs by hand.
 */
export function reconcileStripe(
  deps: StripeReconcileDeps,
  run: { since?: Date; undeliveredFirst?: boolean; pageSize?: number } = {},
): Promise<ReconcileResult> {
  const { config } = deps;
  if (!config.STRIPE_SECRET_KEY) throw new Error("STRIPE_SECRET_KEY is not set: there is no Stripe event list to read");
  const lister = stripeEventLister({
    secretKey: config.STRIPE_SECRET_KEY,
    apiBase: config.STRIPE_API_BASE,
    timeoutMs: config.PROVIDER_TIMEOUT_MS,
  });
  return reconcileOnce({
    db: deps.db,
    dispatcher: deps.dispatcher,
    lister,
    logger: deps.logger,
    leaseMs: reconcileLeaseMs(config),
    ...(deps.alerter ? { alerter: deps.alerter } : {}),
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(run.since ? { since: run.since } : {}),
    ...(run.undeliveredFirst ? { undeliveredFirst: true } : {}),
    ...(run.pageSize ? { pageSize: run.pageSize } : {}),
  });
}
