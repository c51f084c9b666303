export { and, asc, count, desc, eq, gt, inArray, lt, sql } from "drizzle-orm";
export { createDb, type Db, type DbHandle, type DbOptions, type Schema } from "./client.ts";
export {
  type EventRow,
  getEvent,
  markEnqueued,
  type NewEvent,
  noteEnqueueFailure,
  type RecordResult,
  recordEvent,
  withUnenqueued,
} from "./events-repo.ts";
export { runMigrations } from "./migrate.ts";
export * as schema from "./schema.ts";
