export { type Alerter, type AlerterOptions, createAlerter, type KpiAlert } from "./alerts.ts";
export {
  createProcessor,
  defineWorker,
  type Handlers,
  type JobContext,
  type Processor,
  type WorkerDefinition,
  type WorkerDeps,
} from "./define-worker.ts";
export { createDispatcher, type Dispatcher, envelopeOf, QueueUnavailableError } from "./dispatch.ts";
export { discardFailure, retryAllFailures, retryFailure } from "./failure-ops.ts";
export { type ParkedFailure, routeFailure } from "./failure-routing.ts";
export { jobOptionsFor, KEEP_COMPLETED, KEEP_FAILED, type RetryOverrides } from "./job-options.ts";
export { createRedis, pingRedis, type RedisRole, withTimeout } from "./redis.ts";
export { type RedriveOutcome, redrive, startFailureWorkers } from "./redrive.ts";
export { QueueRegistry, type QueueRegistryOptions } from "./registry.ts";
export { createRelay, type Relay, type RelayOptions } from "./relay.ts";
export { type RunningWorkers, runWorkerMain, type StartWorkersOptions, startWorkers } from "./workers.ts";
