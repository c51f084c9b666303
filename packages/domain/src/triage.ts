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
import { type AiOutputPolicy, checkDraft, sanitizeAiText } from "./ai-output.ts";
import type { Customer } from "./customers.ts";
import { privilegedRequests } from "./privileged-words.ts";
import { addTimeline } from "./timeline.ts";
import { proposeThroughGateway } from "./triage-actions.ts";

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

/** Drafts reach a note as plain text: no markup, control characters, card numbers, secrets or foreign links. */
export function sanitizeForNote(text: string, policy: AiOutputPolicy = NO_LINKS): string {
  return sanitizeAiText(text, policy).text;
}

const NO_LINKS: AiOutputPolicy = { allowedLinkDomains: [] };

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
  /** Which links may stay in drafts and summaries; none when absent. */
  aiOutput?: AiOutputPolicy;
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
  const policy = deps.aiOutput ?? NO_LINKS;
  const draft = checkDraft(output.draftReply, policy);
  if (decision.execute.some((a) => a.type === "attach_draft")) {
    // A draft promising what only a person may grant is still shown, but as held, never as ready.
    const heading = draft.ready
      ? `Suggested reply (${deps.classifier.name}, review before sending):`
      : `Held for review (${deps.classifier.name}): this draft promises ${draft.promises.join(", ").replaceAll("_", " ")}, which only a person may grant. Do not send it as is.`;
    await deps.desk.addInternalNote(
      run.ticketExternalId,
      { kind: "draft", body: `${heading}\n${draft.text}` },
      key("draft"),
    );
    if (!draft.ready)
      decision.review.push({ kind: "draft_promise", reason: `draft reply promises ${draft.promises.join(", ")}` });
  }
  const customerId = run.customer?.id ?? null;
  // A proposal the gateway queued has its inbox item already (same event and kind): the insert below skips it.
  const refused = await proposeThroughGateway(db, run, output.proposedActions);
  for (const r of decision.review) if (refused.has(r.kind)) r.reason = `${r.reason}; ${refused.get(r.kind)}`;
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
      summary: sanitizeAiText(output.summary, policy).text,
      draftReply: draft.text,
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
