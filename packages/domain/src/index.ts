export { applyBillingFacts, type BillingOutcome, mergeFacts } from "./billing.ts";
export { type BillingFacts, checkoutFacts, invoiceFacts, refundFacts, subscriptionFacts } from "./billing-facts.ts";
export { factsFromStripe } from "./billing-source.ts";
export { recordSignup, syncContact } from "./crm-sync.ts";
export { type Customer, type CustomerKeys, findCustomer, lockCustomer, normalizeEmail } from "./customers.ts";
export { loadKpis } from "./kpi-queries.ts";
export {
  type Comparator,
  DEFAULT_KPI_THRESHOLDS,
  evaluateKpi,
  holds,
  KPI_DEFINITIONS,
  KPI_KEYS,
  KPI_WINDOWS,
  type Kpi,
  type KpiDefinition,
  type KpiKey,
  type KpiThresholds,
  kpiThresholds,
  percent,
  TICKET_CONTEXT_GRACE_MS,
} from "./kpis.ts";
export { isEntitled, lifecycleStage, paymentOutstanding, STATUS_RANK } from "./lifecycle.ts";
export { overrideCustomerStatus, type StatusOverride } from "./overrides.ts";
export { normalizeText, privilegedRequests } from "./privileged-words.ts";
export { attachContext, buildContext, contextKey, renderContext, type SupportContext } from "./support-context.ts";
export {
  customerForTicket,
  type TicketRef,
  ticketFromAppRequest,
  ticketFromComment,
  ticketFromZendesk,
} from "./tickets.ts";
export { addTimeline, type CustomerStory, customerTimeline, type TimelineEntry } from "./timeline.ts";
export { applyPolicy, type PolicyDecision, sanitizeForNote, type TriageMeta, triageMessage } from "./triage.ts";
