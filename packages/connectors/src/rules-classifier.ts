import type { Classifier, ProposedAction, TriageInput, TriageOutput } from "./triage.ts";

type Intent = TriageOutput["intent"];

/** First match wins: privileged intents first, so a refund request is never filed as "billing". */
const INTENT_RULES: [Intent, RegExp][] = [
  ["refund", /\b(refund|money back|charge ?back|reimburse|reverse the charge)/i],
  [
    "account_deletion",
    /\b(delete|erase|remove|wipe)\b.{0,20}\b(my )?(account|data|profile)|\bgdpr\b|right to be forgotten/i,
  ],
  [
    "plan_change",
    /\b(upgrade|downgrade|change (my )?plan|switch (me )?(to )?(the )?\w+ plan|move (me )?to (the )?\w+ plan)/i,
  ],
  // "Cancel" alone is often a button: the request must name what is being cancelled.
  [
    "cancellation",
    /\b(cancel\w*|terminate|end|stop)\b.{0,30}\b(subscription|plan|account|membership|renewal|billing)\b|\bcancellation\b|\bunsubscribe\b/i,
  ],
  ["billing_question", /\b(invoice|charged|charge|payment|card|billing|receipt|vat|tax|price|pricing)\b/i],
  ["account_access", /\b(log ?in|sign ?in|password|2fa|two.factor|locked out|reset link|can'?t access)/i],
  // Before bug_report: "the setup wizard throws an error" is an onboarding ticket first.
  [
    "onboarding",
    /\b(onboarding|getting started|get started|setup wizard|set-up wizard|welcome tour|first steps|finish(ing)? (my |the )?(setup|set-up|set up|sign ?up))\b/i,
  ],
  ["bug_report", /\b(error|bug|crash|broken|not working|doesn'?t work|fails?|failing|500|exception|timeout)\b/i],
  ["how_to", /\b(how (do|can|to)|where (is|can|do)|is it possible|can i)\b/i],
  ["feedback", /\b(feature request|suggestion|would love|it would be (great|nice)|feedback)\b/i],
];

const URGENT =
  /\b(urgent|asap|immediately|right now|emergency|outage|production (is )?down|site (is )?down|locked out)\b/i;
const NEGATIVE =
  /\b(angry|furious|terrible|awful|unacceptable|worst|frustrat\w*|disappoint\w*|ridiculous|scam|useless)\b|!{2,}/i;
const POSITIVE = /\b(thanks?|thank you|great|love|awesome|appreciate|excellent)\b/i;

const DRAFTS: Record<Intent, string> = {
  refund:
    "Thanks for reaching out. I've passed your refund request to our billing team, who will review it and get back to you.",
  plan_change:
    "Thanks for reaching out. A member of our team will review your plan change request and confirm with you.",
  account_deletion:
    "We've received your request about your account data. A member of our team will verify it and follow up with you.",
  cancellation:
    "Thanks for letting us know. A member of our team will look at your cancellation request and confirm the next steps.",
  billing_question: "Thanks for your question about billing. We're looking into your account and will reply shortly.",
  account_access:
    "Sorry you're having trouble getting in. We're looking into your account access and will help you shortly.",
  bug_report: "Thanks for reporting this, and sorry for the trouble. We're investigating and will update you soon.",
  onboarding: "Thanks for getting in touch while you get set up. We'll walk you through the next step shortly.",
  how_to: "Thanks for your question. We'll get back to you shortly with the steps.",
  feedback: "Thanks for the feedback! We've shared it with the team.",
  other: "Thanks for reaching out. A member of our team will get back to you shortly.",
};

const PRIVILEGED: ReadonlySet<Intent> = new Set(["refund", "plan_change", "account_deletion", "cancellation"]);

/** Deterministic triage used when no model is configured, and as the fallback when one fails. */
export function rulesClassifier(): Classifier {
  return {
    name: "rules",
    async classify(input: TriageInput): Promise<TriageOutput> {
      const text = `${input.subject ?? ""}\n${input.message}`;
      const intent = INTENT_RULES.find(([, re]) => re.test(text))?.[0] ?? "other";
      const sentiment = NEGATIVE.test(text) ? "negative" : POSITIVE.test(text) ? "positive" : "neutral";
      const urgency = URGENT.test(text)
        ? "urgent"
        : sentiment === "negative" || intent === "account_access"
          ? "high"
          : intent === "how_to" || intent === "feedback"
            ? "low"
            : "normal";
      const actions: ProposedAction[] = [
        { type: "tag", value: intent },
        { type: "set_priority", value: urgency },
        { type: "attach_draft" },
      ];
      if (PRIVILEGED.has(intent) || urgency === "urgent") {
        actions.push({ type: "escalate", reason: PRIVILEGED.has(intent) ? `${intent} needs a person` : "urgent" });
      }
      return {
        intent,
        urgency,
        sentiment,
        summary: summarize(input),
        draftReply: DRAFTS[intent],
        proposedActions: actions,
      };
    },
  };
}

function summarize(input: TriageInput): string {
  const firstSentence =
    input.message
      .replace(/\s+/g, " ")
      .trim()
      .split(/(?<=[.!?])\s/)[0] ?? "";
  const base = input.subject ? `${input.subject.trim()}: ${firstSentence}` : firstSentence;
  return (base.length > 200 ? `${base.slice(0, 197)}...` : base) || "(empty message)";
}
