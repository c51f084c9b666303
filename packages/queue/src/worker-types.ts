import type { Config, Logger } from "@switchyard/config";
import type { Carry, Db, DeliveryRef } from "@switchyard/db";
import type { EventEnvelope, JobName, JobPayload, WorkQueue } from "@switchyard/events";
import type { Metrics } from "@switchyard/metrics";
import type { Alerter } from "./alerts.ts";
import type { FailureWatch } from "./failure-watch.ts";
import type { QueueRegistry } from "./registry.ts";

// Apart from the runtime (define-worker.ts) so that the modules it calls, failure-routing.ts among
// them, can name these types without importing the runtime back.

export interface JobContext {
  eventId: string;
  envelope: EventEnvelope;
  /**
   * 1 on the first run; more when an earlier run crashed or failed part-way. 0 for a job whose
   * handler owns its ledger (WorkerDefinition.ownsLedger): its own start statement says.
   */
  attempt: number;
  /** The delivery the job runs under, for a handler that starts and completes it itself. */
  delivery: DeliveryRef;
  /** Runs BullMQ still allows after this one: 0 means a thrown error now parks the job. */
  retriesLeft: number;
  logger: Logger;
  /** Aborted when the job's deadline passes; hand it to every outbound call. */
  signal: AbortSignal;
  /**
   * The settles of this process's other jobs, for a handler's own statement to carry (Carry, in
   * packages/db settle-sql.ts): take one right before sending it, and answer it either way.
   */
  carry(): Carry;
  /** Deterministic key for one external write: the same on every retry, re-drive and replay. */
  idempotencyKey(step: string): string;
  /** Emits follow-up work; the job id derives from this event and `step`, so a retry adds nothing. */
  emit<Q extends WorkQueue, N extends JobName<Q>>(
    queue: Q,
    name: N,
    payload: JobPayload<Q, N>,
    step: string,
  ): Promise<void>;
}

export interface WorkerDeps {
  config: Config;
  db: Db;
  logger: Logger;
  registry: QueueRegistry;
  alerter?: Alerter;
  /** Sees every failed attempt and every success, for the alert on a reason that keeps failing. */
  watch?: FailureWatch;
  /** Job durations, failures and end-to-end latency; the process's own instruments when absent. */
  metrics?: Metrics;
}

export type Handlers<Q extends WorkQueue> = {
  [N in JobName<Q>]: (payload: JobPayload<Q, N>, ctx: JobContext) => Promise<unknown>;
};

export interface WorkerDefinition<Q extends WorkQueue = WorkQueue> {
  queue: Q;
  /** Builds the handlers once per process, choosing adapters from the config. */
  create(deps: WorkerDeps): Handlers<Q>;
  /**
   * Job names whose handlers start and complete their own delivery, inside the statements that do
   * their work (a job in two statements), and return `delivered(…)` or ALREADY_DELIVERED
   * (delivered.ts). The runtime runs startDelivery and completeDelivery around any other job.
   */
  ownsLedger?: readonly string[];
  /**
   * Job names whose handlers own their ledger for some payloads or configurations only: the
   * predicate says, before the runtime would start the delivery, and the handler must take the
   * owned path exactly when it holds.
   */
  ownsLedgerWhen?: { [N in JobName<Q>]?: (payload: JobPayload<Q, N>, config: Config) => boolean };
}
