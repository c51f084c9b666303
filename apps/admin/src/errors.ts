import { defineErrors } from "@switchyard/http";

export const { table: ADMIN_ERROR_STATUS, Error: AdminError } = defineErrors("AdminError", {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_many_requests: 429,
  internal_error: 500,
  unavailable: 503,
});
export type AdminError = InstanceType<typeof AdminError>;
export type AdminErrorCode = keyof typeof ADMIN_ERROR_STATUS;

/** The same error shape as ingest: {"error":{"code","message","requestId"}}. */
export { errorResponse as adminErrorResponse } from "@switchyard/http";
