export {
  type AccountFacts,
  type AccountSummary,
  accountFacts,
  accountSummary,
  accountSummaryLine,
  codeSummary,
} from "./account-summary.ts";
export {
  ACTION_CATALOG,
  ACTION_PARAMS,
  ACTION_REJECTIONS,
  ACTION_TYPES,
  ActionProposal,
  type ActionRejection,
  type ActionType,
  isActionType,
  judgeAction,
} from "./action-catalog.ts";
export { type ActionConnectors, actionIdempotencyKey, runAction } from "./action-run.ts";
export {
  type ActionRow,
  approveReview,
  type DecisionResult,
  EXECUTE_EVENT_TYPE,
  type Proposal,
  type ProposeResult,
  proposeAction,
  rejectReview,
} from "./actions.ts";
export {
  type AiOutputPolicy,
  type AiOutputSettings,
  aiOutputPolicy,
  type CheckedDraft,
  checkDraft,
  luhnValid,
  promisedActions,
  type Removal,
  type SanitizedText,
  sanitizeAiText,
} from "./ai-output.ts";
export {
  applyBillingFacts,
  type BillingDelivery,
  type BillingOutcome,
  deliverBillingFacts,
  mergeFacts,
} from "./billing.ts";
export { type BillingFacts, checkoutFacts, invoiceFacts, refundFacts, subscriptionFacts } from "./billing-facts.ts";
export { factsFromStripe } from "./billing-source.ts";
export {
  applyAccountUpdate,
  applyPayoutFailed,
  type ConnectStatus,
  connectStatusOf,
  connectStatusWord,
} from "./connect.ts";
export { recordSignup, syncContact } from "./crm-sync.ts";
export { type ContactView, type ContactWritten, startCustomerRead, startSignup, writeContact } from "./crm-sync-hot.ts";
export { type Customer, type CustomerKeys, findCustomer, lockCustomer, normalizeEmail } from "./customers.ts";
export { loadKpis } from "./kpi-queries.ts";
export {
  type Comparator,
  DEFAULT_KPI_SETTINGS,
  DEFAULT_KPI_THRESHOLDS,
  evaluateKpi,
  holds,
  judged,
  KPI_DEFINITIONS,
  KPI_KEYS,
  KPI_WINDOWS,
  type Kpi,
  type KpiConfig,
  type KpiDefinition,
  type KpiKey,
  type KpiSettings,
  type KpiStatus,
  type KpiThresholds,
  kpiSettings,
  type Measurement,
  parseMinSample,
  percent,
  TICKET_CONTEXT_GRACE_MS,
} from "./kpis.ts";
export { billingStage, isEntitled, lifecycleStage, paymentOutstanding, STATUS_RANK } from "./lifecycle.ts";
export { type LastOrder, type OrderContext, orderContextOf } from "./order-context.ts";
export { syncOrderContact } from "./order-crm.ts";
export {
  chargeOrderInput,
  disputeOrderInput,
  type OrderInput,
  orderCreatedInput,
  orderFulfilledInput,
  paymentIntentOrderInput,
  sessionOrderInput,
} from "./order-facts.ts";
export { type OrderFact, type OrderView, orderView } from "./order-machine.ts";
export { type BuyerStats, buyerStats, type Order } from "./order-store.ts";
export { applyOrderEvent, displayId, type OrderOutcome } from "./orders.ts";
export { chargeInputFromStripe, paymentIntentInputFromStripe } from "./orders-from-stripe.ts";
export { overrideCustomerStatus, type StatusOverride } from "./overrides.ts";
export { normalizeText, privilegedRequests } from "./privileged-words.ts";
export { type InjectionEntry, PROMPT_INJECTION_CORPUS } from "./prompt-injection-corpus.ts";
export { listReviews, REVIEW_STATUSES, type ReviewEntry, type ReviewFilter, staleReviews } from "./reviews.ts";
export {
  attachContext,
  buildContext,
  contextKey,
  refreshContexts,
  renderContext,
  type SupportContext,
} from "./support-context.ts";
export {
  type Attached,
  attachOnLocalDesk,
  deliverInTurn,
  type TicketAttached,
  type TicketResult,
} from "./support-hot.ts";
export { openStaleOrderRecords, openSupportRecord, supportRecordsFor } from "./support-records.ts";
export {
  customerForTicket,
  type TicketRef,
  ticketFromAppRequest,
  ticketFromComment,
  ticketFromZendesk,
} from "./tickets.ts";
export { addTimeline, type CustomerStory, customerTimeline, type TimelineEntry } from "./timeline.ts";
export { applyPolicy, type PolicyDecision, sanitizeForNote, type TriageMeta, triageMessage } from "./triage.ts";
export { ticketFromZendeskApi } from "./zendesk-tickets.ts";
