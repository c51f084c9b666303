/** Why an event or job failed. Extend, never rename: failure queues and dashboards key on these. */
export const REASON_CODES = [
  "invalid_payload",
  "auth_failed",
  "duplicate_event",
  "rate_limited",
  "crm_timeout",
  "billing_timeout",
  "support_timeout",
  "ai_timeout",
  "ai_invalid_output",
  "upstream_unavailable",
  "needs_human_review",
  "unknown",
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

export function isReasonCode(value: string): value is ReasonCode {
  return (REASON_CODES as readonly string[]).includes(value);
}

/** Each reason has its own failure queue so Bull Board groups failures by cause. */
export function failureQueueName(reason: ReasonCode): `failed.${ReasonCode}` {
  return `failed.${reason}`;
}
