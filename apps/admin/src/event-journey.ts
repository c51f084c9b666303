import { redact, secretValues } from "@switchyard/config";
import { type DeliveryRow, type EventJourneyRecord, eventJourney, type FailureRow } from "@switchyard/db";
import { isWorkQueue, jobIdFor, type WorkQueue } from "@switchyard/events";
import type { AdminDeps } from "./env-types.ts";
import { AdminError } from "./errors.ts";
import { idParam } from "./operations.ts";

/**
 * Follow-up jobs a worker emits for the same event get `<job id>-<step>` (the runtime's `emit`):
 * billing-sync tells crm-sync (`crm`, and for orders `crm-buyer`, `crm-seller`) and support-context
 * (`support`). Probed by these ids, as Redis has no index by event; a new step belongs here too.
 */
const FOLLOW_UP_STEPS = ["crm", "support", "crm-buyer", "crm-seller"];

export interface AttemptView {
  attempt: number;
  outcome: "failed" | "completed" | "running";
  /** The error as the runtime wrote it (`<reason>: <message>`, secrets redacted). */
  error: string | null;
}

export interface JobView {
  queue: string;
  id: string;
  state: string;
  attemptsMade: number;
  /** From BullMQ's record of the job: one failed attempt per error it kept, then how it ended. */
  attempts: AttemptView[];
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  result: unknown;
  /** Bull Board's page of the job. */
  url: string;
}

export interface ConsumerView {
  /** `<queue>/<job name>`, the ledger's key. */
  consumer: string;
  queue: string;
  jobName: string;
  /** Why the event reached this consumer. */
  why: string;
  delivery: {
    status: string;
    /** Runs the ledger recorded (a retry, a crash or a re-drive each start one). */
    attempts: number;
    result: unknown;
    startedAt: string;
    completedAt: string | null;
    durationMs: number | null;
  } | null;
  jobs: JobView[];
  failures: FailureRow[];
}

export interface EventJourney extends Omit<EventJourneyRecord, "deliveries"> {
  consumers: ConsumerView[];
}

const SECRET_KEY = /secret|password|passwd|token|api[_-]?key|authorization|signature|card|cvc|iban/i;
const REDACTED = "[redacted]";

/** The payload as shown: configured secrets and fields named like secrets replaced. */
export function redactPayload(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") return redact(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactPayload(v, secrets));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEY.test(k) && v !== null && typeof v !== "object" ? REDACTED : redactPayload(v, secrets),
      ]),
    );
  }
  return value;
}

/** The first line of a kept stack: BullMQ stores `err.stack`, whose first line is `Name: message`. */
function errorLine(stack: string): string {
  const first = stack.split("\n")[0] ?? "";
  return first.replace(/^(?:Unrecoverable)?Error: /, "");
}

const iso = (ms: number | undefined) => (ms ? new Date(ms).toISOString() : null);

async function jobView(deps: AdminDeps, queue: WorkQueue, id: string, secrets: string[]): Promise<JobView | null> {
  const job = await deps.registry.get(queue).getJob(id);
  if (!job) return null;
  const state = await job.getState();
  const errors = (job.stacktrace ?? []).filter((s): s is string => typeof s === "string");
  const attempts: AttemptView[] = errors.map((s, i) => ({
    attempt: i + 1,
    outcome: "failed",
    error: redact(errorLine(s), secrets),
  }));
  if (state === "completed") attempts.push({ attempt: attempts.length + 1, outcome: "completed", error: null });
  else if (state === "active") attempts.push({ attempt: attempts.length + 1, outcome: "running", error: null });
  return {
    queue,
    id,
    state,
    attemptsMade: job.attemptsMade,
    attempts,
    startedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
    durationMs: job.processedOn && job.finishedOn ? job.finishedOn - job.processedOn : null,
    result: job.returnvalue ?? null,
    url: `/queues/queue/${encodeURIComponent(queue)}/${encodeURIComponent(id)}`,
  };
}

function deliveryView(d: DeliveryRow | undefined): ConsumerView["delivery"] {
  if (!d) return null;
  return {
    status: d.status,
    attempts: d.attempts,
    result: d.result,
    startedAt: d.createdAt.toISOString(),
    completedAt: d.completedAt?.toISOString() ?? null,
    durationMs: d.completedAt ? d.completedAt.getTime() - d.createdAt.getTime() : null,
  };
}

/** Every consumer of the event: routed ones first, then follow-ups, each with its jobs and failures. */
export async function loadEventJourney(deps: AdminDeps, rawId: string): Promise<EventJourney> {
  const id = idParam(rawId, "event");
  const record = await eventJourney(deps.db, id);
  if (!record) throw new AdminError("not_found", `no event ${id}`);
  const { event, deliveries, failures, audit } = record;
  const secrets = secretValues(deps.config);
  const base = jobIdFor(event.id);
  const replays = audit
    .filter((a) => a.action === "event.replay")
    .map((a) => (a.details as { jobId?: unknown } | null)?.jobId)
    .filter((j): j is string => typeof j === "string");

  const consumers = new Map<string, ConsumerView>();
  const add = (queue: string, jobName: string, why: string) => {
    const key = `${queue}/${jobName}`;
    if (!consumers.has(key))
      consumers.set(key, { consumer: key, queue, jobName, why, delivery: null, jobs: [], failures: [] });
    return consumers.get(key) as ConsumerView;
  };
  for (const q of event.queues) add(q, event.type, `the routing table sends ${event.type} to ${q}`);
  for (const d of deliveries) {
    const [queue = "", ...rest] = d.consumer.split("/");
    add(queue, rest.join("/"), `a follow-up job another consumer of this event emitted`).delivery = deliveryView(d);
  }
  for (const f of failures) add(f.queue, f.jobName, "a job of this event that failed").failures.push(f);

  await Promise.all(
    [...consumers.values()].map(async (c) => {
      if (!isWorkQueue(c.queue)) return;
      const routed = event.queues.includes(c.queue) && c.jobName === event.type;
      const ids = new Set<string>([
        ...(routed ? [base, ...replays] : FOLLOW_UP_STEPS.map((s) => `${base}-${s}`)),
        ...c.failures.map((f) => f.jobId),
      ]);
      const queue = c.queue;
      const found = await Promise.all([...ids].map((jobId) => jobView(deps, queue, jobId, secrets)));
      c.jobs = found.filter((j): j is JobView => j !== null);
    }),
  );
  return {
    ...record,
    event: {
      ...event,
      payload: redactPayload(event.payload, secrets),
      rawBody: event.rawBody === null ? null : redact(event.rawBody, secrets),
    },
    consumers: [...consumers.values()],
  };
}
