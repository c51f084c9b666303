import { requestId } from "hono/request-id";

/** Ids travel into log lines and every job's envelope, so a caller's id is kept only when short. */
export const REQUEST_ID_MAX_LENGTH = 64;

/**
 * `X-Request-Id` on every answer and as `c.get("requestId")`: the caller's own when it is at most
 * 64 characters of `[A-Za-z0-9_=-]`, otherwise a new UUID.
 */
export function requestIds() {
  return requestId({ limitLength: REQUEST_ID_MAX_LENGTH });
}
