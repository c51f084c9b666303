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
  type OpenAISummarizerOptions,
  openaiSummarizer,
  openaiSummarizerFor,
  SUMMARY_PROMPT,
  type Summarizer,
} from "./openai-summary.ts";
export {
  type FallbackOptions,
  type FallbackResult,
  type ResilientClassifier,
  settled,
  withFallback,
} from "./resilient-classifier.ts";
export {
  parseRollout,
  ROLLOUT_NAMES,
  type Rollout,
  type RolloutCustomer,
  type RolloutMode,
  type RolloutScope,
  type RolloutSettings,
  recordShadowWrite,
  rolloutBilling,
  rolloutCrm,
  rolloutDesk,
  rolloutFromConfig,
  type ShadowWrite,
} from "./rollout.ts";
export { rulesClassifier } from "./rules-classifier.ts";
export {
  type ActionCall,
  type BillingActions,
  noBillingActions,
  type SubscriptionChange,
  stripeActions,
} from "./stripe-actions.ts";
export { type BillingSource, type StripeBillingOptions, stripeBilling, stripeFailure } from "./stripe-billing.ts";
export { stripeEventLister } from "./stripe-events.ts";
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
export {
  type DirectorySettings,
  type ZendeskDirectory,
  type ZendeskDirectoryOptions,
  type ZendeskTicket,
  type ZendeskUser,
  zendeskDirectory,
  zendeskDirectoryFor,
} from "./zendesk-directory.ts";
