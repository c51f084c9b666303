export {
  type Alerter,
  type AlerterOptions,
  adminUrlOf,
  createAlerter,
  type KpiAlert,
  lookLinks,
  type ParkedAlert,
} from "./alerts.ts";
export { createProcessor, defineWorker, type Processor } from "./define-worker.ts";
export { ALREADY_DELIVERED, Delivered, delivered } from "./delivered.ts";
export { createDispatcher, type Dispatcher, envelopeOf, QueueUnavailableError } from "./dispatch.ts";
export { discardFailure, type RetryResult, retryAllFailures, retryFailure } from "./failure-ops.ts";
export { type ParkedFailure, routeFailure } from "./failure-routing.ts";
export {
  type FailedAttempt,
  type FailingEpisode,
  type FailureWatch,
  type FailureWatchOptions,
  failingNow,
  parkEta,
  type RetryingInfo,
  retryingKey,
  startFailureWatch,
} from "./failure-watch.ts";
export { type HealthServer, type HealthState, startHealthServer } from "./health.ts";
export { jobOptionsFor, KEEP_COMPLETED, KEEP_FAILED, type RetryOverrides } from "./job-options.ts";
export { clock, escapeMrkdwn, link, untrusted } from "./mrkdwn.ts";
export { providerOf } from "./providers.ts";
export { type ReconcileOptions, type ReconcileResult, reconcileOnce } from "./reconcile.ts";
export {
  RECONCILE_QUEUE,
  type ReconcileScheduler,
  reconcileLeaseMs,
  startReconcileScheduler,
} from "./reconcile-scheduler.ts";
export {
  createRedis,
  isCluster,
  type KeyConfig,
  keyPrefix,
  metricsVia,
  pingRedis,
  queuePrefix,
  type RedisRole,
  type RedisTarget,
  redisTargetOf,
  throttledErrors,
  warnIfClusterNode,
  withTimeout,
} from "./redis.ts";
export { parkedJobId, type RedriveOutcome, redrive, startFailureWorkers } from "./redrive.ts";
export { QueueRegistry, type QueueRegistryOptions } from "./registry.ts";
export { createRelay, type Relay, type RelayOptions } from "./relay.ts";
export { type Closable, type MainOptions, runMain, StartupError } from "./run-main.ts";
export { closeOrGiveUp, type GiveUpOptions } from "./shutdown.ts";
export type { Handlers, JobContext, WorkerDefinition, WorkerDeps } from "./worker-types.ts";
export { type RunningWorkers, runWorkerMain, type StartWorkersOptions, startWorkers } from "./workers.ts";
