export {
  type ContactInput,
  type ContactResult,
  type CrmAdapter,
  type LifecycleStage,
  localCrm,
  type WriteOptions,
} from "./crm.ts";
export { callProvider, commonFailure, type HttpCall, type HttpResult, retryAfterMs } from "./http.ts";
export { type HubspotOptions, hubspotCrm } from "./hubspot.ts";
export {
  type OpenAIClassifierOptions,
  type OpenAIUsage,
  openaiClassifier,
  SYSTEM_PROMPT,
  ticketPrompt,
} from "./openai-classifier.ts";
export {
  type FallbackOptions,
  type FallbackResult,
  type ResilientClassifier,
  settled,
  withFallback,
} from "./resilient-classifier.ts";
export { rulesClassifier } from "./rules-classifier.ts";
export { type BillingSource, type StripeBillingOptions, stripeBilling, stripeFailure } from "./stripe-billing.ts";
export { localDesk, type Priority, type SupportAdapter, type TicketInput } from "./support.ts";
export {
  ALLOWED_ACTIONS,
  type Classifier,
  INTENTS,
  PRIVILEGED_ACTIONS,
  PRIVILEGED_INTENTS,
  ProposedAction,
  type TriageInput,
  TriageOutput,
} from "./triage.ts";
export { type DeskSettings, supportDesk, type ZendeskOptions, zendeskDesk } from "./zendesk.ts";
