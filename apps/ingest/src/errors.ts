import { defineErrors } from "@switchyard/http";

/** Every non-2xx answer carries one of these codes; the status follows from the code. */
export const { table: ERROR_STATUS, Error: ApiError } = defineErrors("ApiError", {
  invalid_request: 400,
  invalid_payload: 400,
  auth_failed: 401,
  not_found: 404,
  idempotency_conflict: 409,
  payload_too_large: 413,
  queue_unavailable: 503,
  database_unavailable: 503,
  not_ready: 503,
  internal_error: 500,
});
export type ApiError = InstanceType<typeof ApiError>;
export type ErrorCode = keyof typeof ERROR_STATUS;

/** What a 503 asks a caller to wait, in seconds: the queue or the database may be back by then. */
export const RETRY_AFTER_SECONDS = "5";

export { errorResponse } from "@switchyard/http";
