export { and, asc, count, desc, eq, gt, gte, inArray, isNull, like, lt, lte, or, sql } from "drizzle-orm";
export { type AuditEntry, listAudit, writeAudit } from "./audit-repo.ts";
export { createDb, type Db, type DbHandle, type DbOptions, rowsOf, type Schema } from "./client.ts";
export {
  type EventRow,
  getEvent,
  type NewEvent,
  noteEnqueueFailures,
  type RecordResult,
  recordEvent,
  recordEvents,
} from "./events-repo.ts";
export {
  countFailures,
  type FailureFilter,
  type FailureRow,
  getFailure,
  markFailures,
  type NewFailure,
  recordFailure,
  resolveFailure,
  searchFailures,
} from "./failures-repo.ts";
export { completeDelivery, type Settled, settleEvent, startDelivery } from "./ledger.ts";
export { runMigrations } from "./migrate.ts";
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
