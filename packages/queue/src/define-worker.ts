import { type Config, type Logger, redact, secretValues } from "@switchyard/config";
import { completeOwnedDelivery, resolveFailure, type Settled, startDelivery } from "@switchyard/db";
import {
  EventEnvelope,
  JOB_CATALOG,
  type JobName,
  PermanentError,
  RetryableError,
  reasonOf,
  type WorkQueue,
} from "@switchyard/events";
import { processMetrics, secondsSince } from "@switchyard/metrics";
import { type Job, UnrecoverableError, Worker } from "bullmq";
import type { ZodType } from "zod";
import { ALREADY_DELIVERED, Delivered } from "./delivered.ts";
import { routeFailure } from "./failure-routing.ts";
import { batchedSettles } from "./settles.ts";
import type { Handlers, JobContext, WorkerDefinition, WorkerDeps } from "./worker-types.ts";

/** Typed one-liners per job name; validation, the ledger, deadlines and errors live in the runtime. */
export function defineWorker<Q extends WorkQueue>(
  queue: Q,
  create: (deps: WorkerDeps) => Handlers<Q>,
  opts: { ownsLedger?: readonly JobName<Q>[]; ownsLedgerWhen?: WorkerDefinition<Q>["ownsLedgerWhen"] } = {},
): WorkerDefinition<Q> {
  return { queue, create, ...opts };
}

export type Processor = ((job: Job) => Promise<unknown>) & {
  /** Sends the settles its jobs left to go out later (Settles.later), waiting up to `ms`. */
  flushSettles(ms: number): Promise<void>;
};

const SKIPPED = Object.freeze({ skipped: "already delivered" });

/** What the BullMQ worker runs for each job of a definition's queue. */
export function createProcessor<Q extends WorkQueue>(def: WorkerDefinition<Q>, deps: WorkerDeps): Processor {
  const spec = JOB_CATALOG[def.queue];
  const handlers = def.create(deps) as Record<string, (payload: unknown, ctx: JobContext) => Promise<unknown>>;
  const schemas = spec.jobs as Record<string, ZodType>;
  const secrets = secretValues(deps.config);
  const metrics = deps.metrics ?? processMetrics();
  const settles = batchedSettles(deps.db);
  const settled = (event: Settled | undefined) => {
    if (event)
      metrics.eventLatency.observe({ source: event.source }, (Date.now() - event.receivedAt.getTime()) / 1_000);
  };

  const owned = new Set<string>(def.ownsLedger ?? []);
  const ownedWhen = (def.ownsLedgerWhen ?? {}) as Record<string, (payload: unknown, config: Config) => boolean>;
  // Per job, the info lines only when asked for: at the default level a job logs what goes wrong.
  const logJobs = deps.config.LOG_JOBS || deps.config.LOG_LEVEL === "debug";

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
    const delivery = { consumer, eventId, queue: def.queue, jobId: String(job.id) };
    // A child logger costs its bindings' serialization: made only for a job that logs a line.
    let logger: Logger | undefined;
    const log = () => {
      logger ??= deps.logger.child({ queue: def.queue, job: job.name, eventId, requestId: envelope.data.requestId });
      return logger;
    };
    const skip = async () => {
      // The effect happened; make sure the event says so too, and close a failure parked for a
      // run that did the work but could not finish.
      settled(await settles.settle(eventId));
      await resolveFailure(deps.db, def.queue, String(job.id));
      if (logJobs) log().info("already delivered; skipping");
      return SKIPPED;
    };
    const owns = owned.has(job.name) || (ownedWhen[job.name]?.(payload.data, deps.config) ?? false);
    const attempt = owns ? 0 : await startDelivery(deps.db, consumer, eventId);
    if (attempt === undefined) return skip();
    const controller = new AbortController();
    const ctx: JobContext = {
      eventId,
      envelope: envelope.data,
      attempt,
      delivery,
      retriesLeft: Math.max(0, (job.opts.attempts ?? 1) - (job.attemptsMade + 1)),
      get logger() {
        return log();
      },
      signal: controller.signal,
      carry: () => settles.carry(),
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
      const outcome = await Promise.race([handler(payload.data, ctx), deadline]);
      if (owns) {
        if (outcome === ALREADY_DELIVERED) return await skip();
        if (!(outcome instanceof Delivered)) throw new Error(`${consumer} owns its ledger but returned no delivered()`);
        settled(outcome.completion.settled);
        // Another queue shares the event: its settle check runs now that the completion has committed.
        if (outcome.completion.settleAfter) settles.later(eventId, settled);
        if (logJobs) log().info("job completed", { attempt: outcome.attempt });
        return outcome.result;
      }
      // A re-driven job that now succeeds closes its failure in the same statement.
      const completion = await completeOwnedDelivery(deps.db, delivery, outcome ?? null);
      settled(completion.settled);
      if (completion.settleAfter) settles.later(eventId, settled);
      if (logJobs) log().info("job completed", { attempt });
      return outcome;
    } finally {
      clearTimeout(timer);
    }
  }

  const processor = async (job: Job): Promise<unknown> => {
    const started = performance.now();
    let outcome = "failed";
    try {
      const result = await run(job);
      outcome = result === SKIPPED ? "skipped" : "completed";
      await deps.watch?.succeeded(def.queue, String(job.id), job.name, result !== SKIPPED);
      return result;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      const permanent = error instanceof PermanentError;
      const last = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const reason = reasonOf(error);
      // Every failed attempt, retried or not, starts or feeds the reason's alert clock.
      const watched = (parked: boolean) =>
        deps.watch?.failed({
          queue: def.queue,
          jobId: String(job.id),
          jobName: job.name,
          eventId: eventIdOf(job),
          reason,
          error: redact(`${reason}: ${error.message}`, secrets),
          attemptsMade: job.attemptsMade + 1,
          attempts: job.opts.attempts ?? 1,
          backoff: job.opts.backoff,
          parked,
        });
      if (!last && error instanceof RetryableError && error.retryAfterMs !== undefined) {
        // The provider said when to come back: pause the whole queue that long, and keep the attempt.
        await deps.registry.get(def.queue).rateLimit(Math.max(1, error.retryAfterMs));
        outcome = "rate_limited";
        await watched(false);
        throw Worker.RateLimitError();
      }
      outcome = last ? "failed" : "retry";
      if (last) {
        metrics.jobFailures.inc({ queue: def.queue, reason });
        const logger = deps.logger.child({ queue: def.queue, job: job.name, requestId: requestIdOf(job) });
        await routeFailure({ ...deps, logger }, { queue: def.queue, job, reason, error }).catch(
          (routingError: unknown) => logger.error("could not park a failed job", { jobId: job.id, err: routingError }),
        );
      }
      await watched(last);
      // BullMQ keeps this text (failedReason, stack) in Redis, and Bull Board shows it.
      const message = redact(`${reason}: ${error.message}`, secrets);
      // BullMQ skips the remaining attempts for UnrecoverableError; the reason code leads the message.
      throw permanent ? new UnrecoverableError(message) : new Error(message);
    } finally {
      metrics.jobDuration.observe({ queue: def.queue, outcome }, secondsSince(started));
    }
  };
  return Object.assign(processor, { flushSettles: (ms: number) => settles.flush(ms) });
}

function eventIdOf(job: Job): string | undefined {
  const data: unknown = job.data;
  if (typeof data !== "object" || data === null || !("eventId" in data)) return undefined;
  return typeof data.eventId === "string" ? data.eventId : undefined;
}

/** The request that recorded the job's event, so every log line of a job can be traced back to it. */
export function requestIdOf(job: Job | undefined): string | undefined {
  const data: unknown = job?.data;
  if (typeof data !== "object" || data === null || !("requestId" in data)) return undefined;
  return typeof data.requestId === "string" ? data.requestId : undefined;
}
