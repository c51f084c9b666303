import {
  ALLOWED_ACTIONS,
  type Classifier,
  PRIVILEGED_INTENTS,
  type Priority,
  type ProposedAction,
  type SupportAdapter,
  type TriageInput,
  TriageOutput,
} from "@switchyard/connectors";
import { type Db, schema } from "@switchyard/db";
import { PermanentError } from "@switchyard/events";
import type { Customer } from "./customers.ts";
import { privilegedRequests } from "./privileged-words.ts";
import { addTimeline } from "./timeline.ts";

export interface PolicyDecision {
  execute: ProposedAction[];
  review: { kind: string; reason: string }[];
}

const TAG = /^[a-z0-9_-]{1,40}$/;
const PRIORITIES: readonly Priority[] = ["low", "normal", "high", "urgent"];

/**
 * Only allow-listed actions with well-formed values run; everything else, and every privileged
 * request however phrased, becomes an item for a person.
 */
export function applyPolicy(output: TriageOutput, input: TriageInput): PolicyDecision {
  const execute: ProposedAction[] = [];
  const review = new Map<string, string>();
  for (const action of output.proposedActions) {
    const allowed = (ALLOWED_ACTIONS as readonly string[]).includes(action.type);
    if (!allowed) {
      review.set(action.type, `classifier proposed "${action.type}", which Switchyard never executes`);
    } else if (action.type === "tag" && !(action.value && TAG.test(action.value))) {
    } else if (action.type === "set_priority" && !PRIORITIES.includes(action.value as Priority)) {
    } else if (action.type === "escalate") {
      review.set("escalation", action.reason ?? "escalated by triage");
      execute.push(action);
    } else {
      execute.push(action);
    }
  }
  if ((PRIVILEGED_INTENTS as readonly string[]).includes(output.intent)) {
    review.set(output.intent, `intent "${output.intent}" needs a person`);
  }
  for (const kind of privilegedRequests(`${input.subject ?? ""}\n${input.message}`)) {
    if (!review.has(kind)) review.set(kind, `message asks for ${kind.replace("_", " ")}`);
  }
  return { execute, review: [...review].map(([kind, reason]) => ({ kind, reason })) };
}

/** Drafts reach a note as plain text: no markup, links or control characters from the model. */
export function sanitizeForNote(text: string): string {
  return (
    text
      // Control characters other than tab and line breaks.
      .replace(/(?![\t\n\r])\p{Cc}/gu, "")
      .replace(/<[^>]*>/g, "")
      .replace(/\bhttps?:\/\/\S+/gi, "[link removed]")
      .slice(0, 4_000)
  );
}

export interface TriageRun {
  eventId: string;
  ticketExternalId: string;
  customer: Customer | undefined;
  input: TriageInput;
  signal?: AbortSignal;
}

export interface TriageMeta {
  degraded?: boolean;
  degradedReason?: string | undefined;
  usage?: { model: string; promptTokens: number; completionTokens: number } | undefined;
}

export async function triageMessage(
  db: Db,
  deps: { classifier: Classifier; desk: SupportAdapter } & TriageMeta,
  run: TriageRun,
) {
  const raw = await deps.classifier.classify(run.input, run.signal ? { signal: run.signal } : {});
  const parsed = TriageOutput.safeParse(raw);
  if (!parsed.success)
    throw new PermanentError("ai_invalid_output", `${deps.classifier.name} returned an invalid triage result`);
  const output = parsed.data;
  const decision = applyPolicy(output, run.input);
  const key = (step: string) => ({
    idempotencyKey: `${run.eventId}-${step}`,
    ...(run.signal ? { signal: run.signal } : {}),
  });

  const tags = decision.execute.filter((a) => a.type === "tag").map((a) => a.value as string);
  if (decision.execute.some((a) => a.type === "escalate")) tags.push("escalated");
  const priority = decision.execute.find((a) => a.type === "set_priority")?.value as Priority | undefined;
  if (tags.length > 0 || priority) {
    await deps.desk.updateTicket(
      run.ticketExternalId,
      { addTags: tags, ...(priority ? { priority } : {}) },
      key("ticket"),
    );
  }
  if (decision.execute.some((a) => a.type === "attach_draft")) {
    await deps.desk.addInternalNote(
      run.ticketExternalId,
      {
        kind: "draft",
        body: `Suggested reply (${deps.classifier.name}, review before sending):\n${sanitizeForNote(output.draftReply)}`,
      },
      key("draft"),
    );
  }
  const customerId = run.customer?.id ?? null;
  for (const item of decision.review) {
    await db
      .insert(schema.reviewItems)
      .values({
        eventId: run.eventId,
        customerId,
        ticketExternalId: run.ticketExternalId,
        kind: item.kind,
        reason: item.reason,
      })
      .onConflictDoNothing();
  }
  await db
    .insert(schema.triageResults)
    .values({
      eventId: run.eventId,
      ticketExternalId: run.ticketExternalId,
      customerId,
      classifier: deps.classifier.name,
      degraded: deps.degraded ?? false,
      degradedReason: deps.degradedReason ?? null,
      model: deps.usage?.model ?? null,
      promptTokens: deps.usage?.promptTokens ?? null,
      completionTokens: deps.usage?.completionTokens ?? null,
      intent: output.intent,
      urgency: output.urgency,
      sentiment: output.sentiment,
      summary: sanitizeForNote(output.summary),
      draftReply: sanitizeForNote(output.draftReply),
      actions: { executed: decision.execute, review: decision.review },
    })
    .onConflictDoNothing();
  if (run.customer) {
    await addTimeline(db, {
      customerId: run.customer.id,
      kind: "triage",
      summary: `triaged as ${output.intent} (${output.urgency})${decision.review.length ? `; human review: ${decision.review.map((r) => r.kind).join(", ")}` : ""}`,
      eventId: run.eventId,
      dedupeKey: `triage:${run.eventId}`,
    });
  }
  return { output, decision };
}
