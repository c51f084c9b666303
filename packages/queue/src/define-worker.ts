import { type Config, type Logger, redact, secretValues } from "@switchyard/config";
import { completeDelivery, type Db, resolveFailure, type Settled, settleEvent, startDelivery } from "@switchyard/db";
import {
  EventEnvelope,
  JOB_CATALOG,
  type JobName,
  type JobPayload,
  PermanentError,
  RetryableError,
  reasonOf,
  type WorkQueue,
} from "@switchyard/events";
import { type Metrics, processMetrics, secondsSince } from "@switchyard/metrics";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { ZodType } from "zod";
import type { Alerter } from "./alerts.ts";
import { routeFailure } from "./failure-routing.ts";
import type { QueueRegistry } from "./registry.ts";

export interface JobContext {
  eventId: string;
  envelope: EventEnvelope;
  /** 1 on the first run; more when an earlier run crashed or failed part-way. */
  attempt: number;
  /** Runs BullMQ still allows after this one: 0 means a thrown error now parks the job. */
  retriesLeft: number;
  logger: Logger;
  /** Aborted when the job's deadline passes; hand it to every outbound call. */
  signal: AbortSignal;
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
}

/** Typed one-liners per job name; validation, the ledger, deadlines and errors live in the runtime. */
export function defineWorker<Q extends WorkQueue>(
  queue: Q,
  create: (deps: WorkerDeps) => Handlers<Q>,
): WorkerDefinition<Q> {
  return { queue, create };
}

export type Processor = (job: Job) => Promise<unknown>;

const SKIPPED = Object.freeze({ skipped: "already delivered" });

/** What the BullMQ worker runs for each job of a definition's queue. */
export function createProcessor<Q extends WorkQueue>(def: WorkerDefinition<Q>, deps: WorkerDeps): Processor {
  const spec = JOB_CATALOG[def.queue];
  const handlers = def.create(deps) as Record<string, (payload: unknown, ctx: JobContext) => Promise<unknown>>;
  const schemas = spec.jobs as Record<string, ZodType>;
  const secrets = secretValues(deps.config);
  const metrics = deps.metrics ?? processMetrics();
  const settled = (event: Settled | undefined) => {
    if (event)
      metrics.eventLatency.observe({ source: event.source }, (Date.now() - event.receivedAt.getTime()) / 1_000);
  };

  async function run(job: Job): Promise<unknown> {
    const envelope = EventEnvelope.safeParse(job.data);
    if (!envelope.success) throw new PermanentError("invalid_payload", `job ${job.id}: not an event envelope`);
    const schema = schemas[job.name];
    const handler = handlers[job.name];
    if (!schema || !handler) throw new PermanentError("invalid_payload", `${def.queue} has no job named ${job.name}`);
    const payload = schema.safeParse(envelope.data.payload);
    if (!payload.success) {
      const detail = payload.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`);
      throw new PermanentError("invalid_payload", `${job.name}: ${detail.join("; ")}`);
    }

    const { eventId } = envelope.data;
    const consumer = `${def.queue}/${job.name}`;
    const logger = deps.logger.child({ queue: def.queue, job: job.name, eventId, requestId: envelope.data.requestId });
    const attempt = await startDelivery(deps.db, consumer, eventId);
    if (attempt === undefined) {
      // The effect happened; make sure the event says so too, and close a failure parked for a
      // run that did the work but could not finish.
      settled(await settleEvent(deps.db, eventId));
      await resolveFailure(deps.db, def.queue, String(job.id));
      logger.info("already delivered; skipping");
      return SKIPPED;
    }
    const controller = new AbortController();
    const ctx: JobContext = {
      eventId,
      envelope: envelope.data,
      attempt,
      retriesLeft: Math.max(0, (job.opts.attempts ?? 1) - (job.attemptsMade + 1)),
      logger,
      signal: controller.signal,
      idempotencyKey: (step) => `${eventId}-${step}`,
      emit: async (queue, name, body, step) => {
        const jobId = `${job.id}-${step}`.replace(/:/g, "-");
        const next: EventEnvelope = { ...envelope.data, type: name, payload: body };
        await deps.registry.get(queue).add(name, next, { jobId });
      },
    };
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new RetryableError(spec.timeoutReason, `${job.name} took longer than ${spec.timeoutMs} ms`));
      }, spec.timeoutMs);
    });
    try {
      const result = await Promise.race([handler(payload.data, ctx), deadline]);
      // A re-driven job that now succeeds closes its failure in the same statement.
      settled(
        await completeDelivery(deps.db, consumer, eventId, result ?? null, { queue: def.queue, id: String(job.id) }),
      );
      logger.info("job completed", { attempt });
      return result;
    } finally {
      clearTimeout(timer);
    }
  }

  return async (job) => {
    const started = performance.now();
    let outcome = "failed";
    try {
      const result = await run(job);
      outcome = result === SKIPPED ? "skipped" : "completed";
      return result;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      const permanent = error instanceof PermanentError;
      const last = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (!last && error instanceof RetryableError && error.retryAfterMs !== undefined) {
        // The provider said when to come back: pause the whole queue that long, and keep the attempt.
        await deps.registry.get(def.queue).rateLimit(Math.max(1, error.retryAfterMs));
        outcome = "rate_limited";
        throw Worker.RateLimitError();
      }
      const reason = reasonOf(error);
      outcome = last ? "failed" : "retry";
      if (last) {
        metrics.jobFailures.inc({ queue: def.queue, reason });
        const logger = deps.logger.child({ queue: def.queue, job: job.name, requestId: requestIdOf(job) });
        await routeFailure({ ...deps, logger }, { queue: def.queue, job, reason, error }).catch(
          (routingError: unknown) => logger.error("could not park a failed job", { jobId: job.id, err: routingError }),
        );
      }
      // BullMQ keeps this text (failedReason, stack) in Redis, and Bull Board shows it.
      const message = redact(`${reason}: ${error.message}`, secrets);
      // BullMQ skips the remaining attempts for UnrecoverableError; the reason code leads the message.
      throw permanent ? new UnrecoverableError(message) : new Error(message);
    } finally {
      metrics.jobDuration.observe({ queue: def.queue, outcome }, secondsSince(started));
    }
  };
}

/** The request that recorded the job's event, so every log line of a job can be traced back to it. */
export function requestIdOf(job: Job | undefined): string | undefined {
  const data: unknown = job?.data;
  if (typeof data !== "object" || data === null || !("requestId" in data)) return undefined;
  return typeof data.requestId === "string" ? data.requestId : undefined;
}
