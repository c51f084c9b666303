import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

export const ADMIN_ERROR_STATUS = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  internal_error: 500,
} as const satisfies Record<string, ContentfulStatusCode>;

export type AdminErrorCode = keyof typeof ADMIN_ERROR_STATUS;

export class AdminError extends Error {
  override readonly name = "AdminError";
  readonly code: AdminErrorCode;
  constructor(code: AdminErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** The same error shape as ingest: {"error":{"code","message","requestId"}}. */
export function adminErrorResponse(c: Context, err: AdminError, headers: Record<string, string> = {}): Response {
  const requestId = (c.get("requestId") as string | undefined) ?? "unknown";
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  return c.json({ error: { code: err.code, message: err.message, requestId } }, ADMIN_ERROR_STATUS[err.code]);
}
