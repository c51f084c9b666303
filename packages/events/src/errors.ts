import type { ReasonCode } from "./reasons.ts";

/** A failure a retry may fix (timeouts, 429, 5xx). `retryAfterMs` is the provider's own hint. */
export class RetryableError extends Error {
  override readonly name = "RetryableError";
  readonly reason: ReasonCode;
  readonly retryAfterMs: number | undefined;
  constructor(reason: ReasonCode, message: string, opts: { retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.reason = reason;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** A failure no retry can fix (bad payload, revoked credentials, policy): fail the job now. */
export class PermanentError extends Error {
  override readonly name = "PermanentError";
  readonly reason: ReasonCode;
  constructor(reason: ReasonCode, message: string, opts: { cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.reason = reason;
  }
}

export function reasonOf(err: unknown): ReasonCode {
  return err instanceof RetryableError || err instanceof PermanentError ? err.reason : "unknown";
}
