export { and, asc, count, desc, eq, gt, gte, inArray, isNull, like, lt, lte, or, sql } from "drizzle-orm";
export {
  type AccountRow,
  createSession,
  deleteAccount,
  deleteSession,
  findAccount,
  listAccounts,
  sessionAccount,
  upsertAccount,
} from "./accounts-repo.ts";
export { type Activity, type ActivityPoint, activity, COMPLETION_HORIZON_MS, uuid7Floor } from "./activity-repo.ts";
export { type AuditFilter, auditFacets, pageAudit } from "./audit-page-repo.ts";
export { type AuditEntry, listAudit, writeAudit } from "./audit-repo.ts";
export { isDatabaseUnavailable } from "./availability.ts";
export { createDb, type Db, type DbHandle, type DbOptions, rowsOf, type Schema } from "./client.ts";
export {
  NEXT_STEPS,
  type NextStep,
  nextStep,
  type PaymentSignal,
  SYSTEM_QUEUES,
  type SyncState,
  type SystemName,
  type SystemStatus,
  systemStatus,
} from "./customer-status.ts";
export { type CustomerStatusView, customerStatus } from "./customer-status-repo.ts";
export { type EventFilter, type EventSummary, findEventsBySourceId, pageEvents } from "./event-lists-repo.ts";
export {
  type AuditRow,
  type DeliveryRow,
  type EventJourneyRecord,
  eventJourney,
  type JourneyTimelineEntry,
} from "./events-journey-repo.ts";
export {
  type EventRow,
  getEvent,
  type NewEvent,
  noteEnqueueFailures,
  type RecordResult,
  recordEvent,
  recordEvents,
} from "./events-repo.ts";
export { COUNT_CAP, cappedCount, type Page, pageFailures } from "./failures-page-repo.ts";
export {
  beginRetry,
  beginRetryAll,
  countFailures,
  discardFailureRow,
  type FailureFilter,
  type FailureRow,
  failureConditions,
  finishRetry,
  getFailure,
  type NewFailure,
  recordFailure,
  resolveFailure,
  searchFailures,
} from "./failures-repo.ts";
export { dateOf, type Exec, execOf, rowFromJson } from "./hot-sql.ts";
export {
  type EventRecord,
  findAppEvent,
  type JobState,
  type JobStatus,
  jobStates,
} from "./job-states-repo.ts";
export {
  completeDelivery,
  completeOwnedDelivery,
  type Settled,
  settleEvent,
  settleEvents,
  startDelivery,
} from "./ledger.ts";
export {
  COMPLETION_COLUMNS,
  type Completion,
  type CompletionRow,
  completionCtes,
  completionOf,
  completionParams,
  type DeliveryRef,
  START_CTE,
} from "./ledger-hot.ts";
export { clearLoginFailures, loginBlockedUntil, recordLoginFailure, type ThrottleRule } from "./login-throttle-repo.ts";
export { runMigrations } from "./migrate.ts";
export { pendingMigrations } from "./migration-status.ts";
export {
  advanceReconcileRun,
  claimReconcile,
  completeReconcileRun,
  getReconcileCursor,
  markBackfilled,
  type ReconcileCursor,
  type ReconcilePhase,
  recordedAmong,
  releaseReconcile,
  settleBackfillMarks,
  startReconcileRun,
} from "./reconcile-repo.ts";
export {
  advanceRelayCursor,
  claimRelayPass,
  getEvents,
  type RelayPass,
  type RelayPosition,
  releaseRelayPass,
  scanReceived,
} from "./relay-repo.ts";
export type { EventStatus, FailureStatus, TimelineKind } from "./schema.ts";
export * as schema from "./schema.ts";
export type { AccountRole } from "./schema-accounts.ts";
export {
  CARRIED_COLUMN,
  type Carry,
  NO_CARRY,
  type SettledRow,
  sendCarrying,
  settleCtes,
  settledOf,
} from "./settle-sql.ts";
export { recentShadowWrites, type ShadowTally, type ShadowWriteRow, shadowTallies } from "./shadow-repo.ts";
export { openReviewCount, pageTimeline, type TimelineRow } from "./timeline-page-repo.ts";
export { openFailuresAmong, type Unrelayed, unrelayedEvents } from "./watch-repo.ts";
