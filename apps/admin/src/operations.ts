import { randomUUID } from "node:crypto";
import {
  count,
  type Db,
  desc,
  eq,
  type FailureRow,
  getEvent,
  getFailure,
  recordEvent,
  schema,
  searchFailures,
  writeAudit,
} from "@switchyard/db";
import {
  type Customer,
  type CustomerStory,
  customerTimeline,
  findCustomer,
  overrideCustomerStatus,
  type StatusOverride,
} from "@switchyard/domain";
import { isWorkQueue, jobIdFor, type ReasonCode } from "@switchyard/events";
import {
  discardFailure,
  envelopeOf,
  type RedriveOutcome,
  type RetryResult,
  retryAllFailures,
  retryFailure,
} from "@switchyard/queue";
import { z } from "zod";
import type { AdminDeps } from "./env-types.ts";
import { AdminError } from "./errors.ts";

/**
 * The operator actions behind both the JSON API and the console: one implementation, so a button
 * and a curl do exactly the same thing and write the same audit entry.
 */

const uuid = z.uuid();

export const isUuid = (value: string) => uuid.safeParse(value).success;

export function idParam(value: string, what: string): string {
  if (!isUuid(value)) throw new AdminError("not_found", `no ${what} ${value.slice(0, 40)}`);
  return value;
}

type Ops = Pick<AdminDeps, "db" | "registry" | "dispatcher" | "logger">;

const audit = (db: Db, actor: string, action: string, target: string, reason?: string | null, details?: unknown) =>
  writeAudit(db, { actor, action, target, reason: reason ?? null, details });

export async function failureOr404(db: Db, id: string): Promise<FailureRow> {
  const f = await getFailure(db, idParam(id, "failure"));
  if (!f) throw new AdminError("not_found", `no failure ${id}`);
  return f;
}

/** What "retry all" would touch: the open failures of that reason (the dry run). */
export async function countRetryAll(db: Db, reason: ReasonCode): Promise<number> {
  const open = await searchFailures(db, { reason, status: "open", limit: 1_000 });
  return open.length;
}

export async function retryAll(ops: Ops, actor: string, reason: ReasonCode, note?: string | null): Promise<number> {
  const retried = await retryAllFailures(ops.db, ops.registry, reason);
  await audit(ops.db, actor, "failures.retry_all", `failed.${reason}`, note, { count: retried });
  return retried;
}

/** Why a retry that lost the claim (or came too late) re-drove nothing, in the operator's words. */
function refusal(result: Exclude<RetryResult, { retried: true }>, attempt: number): string {
  if (result.status === "retrying") return "failure is already being retried";
  if (result.status === "open" && result.occurrences !== attempt)
    return "failure has failed again since this page was loaded; retry it again";
  return result.status === "gone" ? "failure no longer exists" : `failure is ${result.status}`;
}

/**
 * Retries one failure; a conflict (409) when it is not open for the occurrence the operator saw,
 * which is what every click but one of a double click gets.
 */
export async function retryOne(
  ops: Ops,
  actor: string,
  f: FailureRow,
  attempt = f.occurrences,
): Promise<RedriveOutcome> {
  if (f.status === "resolved" || f.status === "discarded") throw new AdminError("conflict", `failure is ${f.status}`);
  const result = await retryFailure(ops.db, ops.registry, f, attempt);
  if (!result.retried) throw new AdminError("conflict", refusal(result, attempt));
  await audit(ops.db, actor, "failure.retry", f.id, null, { queue: f.queue, jobId: f.jobId, outcome: result.outcome });
  return result.outcome;
}

export async function discardOne(ops: Ops, actor: string, f: FailureRow, note: string): Promise<void> {
  if (!(await discardFailure(ops.db, ops.registry, f, note))) {
    const now = await getFailure(ops.db, f.id);
    throw new AdminError("conflict", `failure is ${now?.status ?? "gone"}`);
  }
  await audit(ops.db, actor, "failure.discard", f.id, note, { queue: f.queue, jobId: f.jobId });
}

export async function replayEvent(ops: Ops, actor: string, eventId: string, reason: string) {
  const id = idParam(eventId, "event");
  const event = await getEvent(ops.db, id);
  if (!event) throw new AdminError("not_found", `no event ${id}`);
  if (event.status === "rejected") throw new AdminError("conflict", "a rejected event has no valid payload to replay");
  // A new job id per replay; each consumer's ledger still stops effects it already completed.
  const jobId = `${jobIdFor(event.id)}-replay-${Date.now()}`;
  for (const queue of event.queues) {
    if (isWorkQueue(queue)) await ops.registry.get(queue).add(event.type, envelopeOf(event), { jobId });
  }
  await audit(ops.db, actor, "event.replay", event.id, reason, { queues: event.queues, jobId });
  return { eventId: event.id, queues: event.queues, jobId };
}

export async function overrideCustomer(
  ops: Ops,
  actor: string,
  customerId: string,
  status: StatusOverride,
  reason: string,
): Promise<Customer> {
  const id = idParam(customerId, "customer");
  if (!(await findCustomer(ops.db, { id }))) throw new AdminError("not_found", `no customer ${id}`);
  const auditKey = randomUUID();
  const customer = await overrideCustomerStatus(ops.db, id, status, { actor, reason, auditKey });
  // The override is an event of its own, so the CRM hears about it through the normal path.
  const { event } = await recordEvent(ops.db, {
    source: "switchyard",
    sourceEventId: `override-${auditKey}`,
    type: "switchyard.customer.changed",
    payloadHash: auditKey,
    payload: { customerId: id },
    status: "received",
    queues: ["crm-sync"],
    receivedAt: new Date(),
  });
  await ops.dispatcher
    .dispatch(event)
    .catch((err: unknown) => ops.logger.warn("override recorded; CRM sync left to the relay", { err }));
  await audit(ops.db, actor, "customer.override", id, reason, { status, eventId: event.id });
  return customer;
}

/** One customer's story by id, email or app user id. */
export async function timelineOf(db: Db, key: string): Promise<CustomerStory> {
  const story = await customerTimeline(
    db,
    isUuid(key) ? { id: key } : key.includes("@") ? { email: key } : { externalId: key },
  );
  if (!story) throw new AdminError("not_found", `no customer ${key.slice(0, 80)}`);
  return story;
}

/** Open failures per reason, most first: what the overview offers to retry. */
export async function openFailuresByReason(db: Db): Promise<{ reason: string; open: number }[]> {
  const { failures } = schema;
  return db
    .select({ reason: failures.reason, open: count() })
    .from(failures)
    .where(eq(failures.status, "open"))
    .groupBy(failures.reason)
    .orderBy(desc(count()), failures.reason);
}
