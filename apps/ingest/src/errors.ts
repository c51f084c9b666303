import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Every non-2xx answer carries one of these codes; the status follows from the code. */
export const ERROR_STATUS = {
  invalid_request: 400,
  invalid_payload: 400,
  auth_failed: 401,
  not_found: 404,
  idempotency_conflict: 409,
  payload_too_large: 413,
  queue_unavailable: 503,
  not_ready: 503,
  internal_error: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly code: ErrorCode;
  readonly headers: Record<string, string>;
  constructor(code: ErrorCode, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.code = code;
    this.headers = headers;
  }
}

export function errorResponse(c: Context, err: ApiError): Response {
  const requestId = (c.get("requestId") as string | undefined) ?? "unknown";
  for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
  return c.json({ error: { code: err.code, message: err.message, requestId } }, ERROR_STATUS[err.code]);
}
