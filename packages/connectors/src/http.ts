import { PermanentError, type ReasonCode, RetryableError } from "@switchyard/events";

export interface HttpCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Reason code for a timeout against this provider (crm_timeout, support_timeout, ...). */
  timeoutReason: ReasonCode;
  provider: string;
}

export interface HttpResult {
  status: number;
  headers: Headers;
  body: unknown;
}

/** Retry-After in seconds or as an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/**
 * One provider request with a deadline. Network failures and timeouts become typed retryable
 * errors; the status is left to the caller, which knows what each one means for its provider.
 */
export async function callProvider(call: HttpCall): Promise<HttpResult> {
  const deadline = AbortSignal.timeout(call.timeoutMs);
  const signal = call.signal ? AbortSignal.any([call.signal, deadline]) : deadline;
  let res: Response;
  try {
    res = await fetch(call.url, {
      method: call.method,
      headers: { ...call.headers, ...(call.body === undefined ? {} : { "content-type": "application/json" }) },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal,
    });
  } catch (err) {
    if (deadline.aborted)
      throw new RetryableError(call.timeoutReason, `${call.provider} did not answer within ${call.timeoutMs} ms`);
    if (call.signal?.aborted)
      throw new RetryableError(call.timeoutReason, `${call.provider} call aborted: job deadline passed`);
    throw new RetryableError("upstream_unavailable", `${call.provider} unreachable: ${(err as Error).message}`);
  }
  const text = await res.text().catch(() => "");
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body };
}

/** The statuses every provider means the same way. */
export function commonFailure(provider: string, result: HttpResult): Error | undefined {
  const { status } = result;
  if (status === 401 || status === 403)
    return new PermanentError("auth_failed", `${provider} rejected the credentials (${status})`);
  if (status === 429) {
    const after = retryAfterMs(result.headers);
    return new RetryableError(
      "rate_limited",
      `${provider} rate limit (429)`,
      after === undefined ? {} : { retryAfterMs: after },
    );
  }
  if (status >= 500) return new RetryableError("upstream_unavailable", `${provider} answered ${status}`);
  return undefined;
}
