export { ActionExecute } from "./action-payloads.ts";
export { APP_EVENT_TYPES, AppEvent } from "./app-events.ts";
export {
  INTERNAL_SOURCE,
  JOB_CATALOG,
  type JobCatalog,
  type JobName,
  type JobPayload,
  type QueueSpec,
} from "./catalog.ts";
export { EventEnvelope, jobIdFor } from "./envelope.ts";
export { PermanentError, RetryableError, reasonOf } from "./errors.ts";
export type { EventLister, EventPage, EventPageQuery, ProviderEvent } from "./provider-events.ts";
export { isWorkQueue, WORK_QUEUES, type WorkQueue } from "./queues.ts";
export { failureQueueName, isReasonCode, REASON_CODES, type ReasonCode } from "./reasons.ts";
export { normalizeType, ROUTES, routeFor } from "./routing.ts";
export {
  APP_SOURCE,
  genericSourceSecretVar,
  SOURCE_NAME,
} from "./sources.ts";
export * from "./stripe-payloads.ts";
export * from "./support-payloads.ts";
export {
  HubspotBatchShape,
  HubspotEventShape,
  StandardWebhookShape,
  StripeEventShape,
  ZendeskEventShape,
} from "./webhook-payloads.ts";
