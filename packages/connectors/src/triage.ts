import { z } from "zod";

export const INTENTS = [
  "refund",
  "plan_change",
  "account_deletion",
  "cancellation",
  "billing_question",
  "bug_report",
  "account_access",
  "onboarding",
  "how_to",
  "feedback",
  "other",
] as const;

/** Intents that ask for something only a person may grant. */
export const PRIVILEGED_INTENTS = ["refund", "plan_change", "account_deletion", "cancellation"] as const;

/** What Switchyard may do on its own after triage. */
export const ALLOWED_ACTIONS = ["tag", "set_priority", "attach_draft", "escalate"] as const;
/** What a classifier may propose but Switchyard never executes: these become human-review items. */
export const PRIVILEGED_ACTIONS = [
  "refund",
  "change_plan",
  "delete_account",
  "cancel_subscription",
  "issue_credit",
] as const;

export const Priority = z.enum(["low", "normal", "high", "urgent"]);

export const ProposedAction = z.object({
  type: z.enum([...ALLOWED_ACTIONS, ...PRIVILEGED_ACTIONS]),
  value: z.string().max(100).optional(),
  reason: z.string().max(500).optional(),
});
export type ProposedAction = z.infer<typeof ProposedAction>;

/** The strict shape every classifier must return; anything else is `ai_invalid_output`. */
export const TriageOutput = z.object({
  intent: z.enum(INTENTS),
  urgency: Priority,
  sentiment: z.enum(["negative", "neutral", "positive"]),
  summary: z.string().min(1).max(500),
  draftReply: z.string().min(1).max(4_000),
  proposedActions: z.array(ProposedAction).max(10),
});
export type TriageOutput = z.infer<typeof TriageOutput>;

export interface TriageInput {
  subject: string | null;
  message: string;
}

export interface Classifier {
  readonly name: string;
  classify(input: TriageInput, opts: { signal?: AbortSignal }): Promise<TriageOutput>;
}
