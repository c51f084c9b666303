/**
 * Business KPIs: what each one means, the window it is measured over, and the pure judgement of a
 * measured value against its threshold. The SQL that measures them is in kpi-queries.ts.
 */

export const KPI_KEYS = [
  "duplicate_contact_rate",
  "payment_sync_success_rate",
  "tickets_missing_context_rate",
  "webhook_failure_rate",
  "manual_overrides_per_week",
  "openai_error_rate",
] as const;
export type KpiKey = (typeof KPI_KEYS)[number];

/** The value is fine while `value <comparator> threshold` holds. */
export type Comparator = "<" | "<=" | ">=" | ">";

export interface KpiWindow {
  /** Human name of the window, as shown in the JSON and in alerts. */
  label: string;
  /** Length in ms; null for a snapshot of current state (all rows). */
  ms: number | null;
}

const HOUR = 3_600_000;
export const KPI_WINDOWS = {
  snapshot: { label: "all contacts (current state)", ms: null },
  day: { label: "last 24 h", ms: 24 * HOUR },
  week: { label: "last 7 days", ms: 7 * 24 * HOUR },
} as const satisfies Record<string, KpiWindow>;

/** A ticket younger than this is still being worked on by support-context, so it is not judged yet. */
export const TICKET_CONTEXT_GRACE_MS = 10 * 60_000;

export interface KpiDefinition {
  key: KpiKey;
  label: string;
  unit: "%" | "count";
  comparator: Comparator;
  window: KpiWindow;
}

export const KPI_DEFINITIONS: Readonly<Record<KpiKey, KpiDefinition>> = {
  duplicate_contact_rate: {
    key: "duplicate_contact_rate",
    label: "Duplicate CRM contacts",
    unit: "%",
    comparator: "<=",
    window: KPI_WINDOWS.snapshot,
  },
  payment_sync_success_rate: {
    key: "payment_sync_success_rate",
    label: "Payment sync success",
    unit: "%",
    comparator: ">=",
    window: KPI_WINDOWS.day,
  },
  tickets_missing_context_rate: {
    key: "tickets_missing_context_rate",
    label: "Tickets missing context",
    unit: "%",
    comparator: "<",
    window: KPI_WINDOWS.day,
  },
  webhook_failure_rate: {
    key: "webhook_failure_rate",
    label: "Webhook failures",
    unit: "%",
    comparator: "<",
    window: KPI_WINDOWS.day,
  },
  manual_overrides_per_week: {
    key: "manual_overrides_per_week",
    label: "Manual overrides",
    unit: "count",
    comparator: "<=",
    window: KPI_WINDOWS.week,
  },
  openai_error_rate: {
    key: "openai_error_rate",
    label: "OpenAI triage errors",
    unit: "%",
    comparator: "<",
    window: KPI_WINDOWS.day,
  },
};

export type KpiThresholds = Record<KpiKey, number>;

/** The config keys that hold each threshold, with what they default to there. */
export const DEFAULT_KPI_THRESHOLDS: KpiThresholds = {
  duplicate_contact_rate: 0,
  payment_sync_success_rate: 99,
  tickets_missing_context_rate: 2,
  webhook_failure_rate: 1,
  manual_overrides_per_week: 10,
  openai_error_rate: 5,
};

/** Thresholds from the parsed config (packages/config KPI_* keys). */
export function kpiThresholds(config: {
  KPI_DUPLICATE_CONTACT_RATE_MAX: number;
  KPI_PAYMENT_SYNC_SUCCESS_MIN: number;
  KPI_TICKETS_MISSING_CONTEXT_MAX: number;
  KPI_WEBHOOK_FAILURE_RATE_MAX: number;
  KPI_OVERRIDES_PER_WEEK_MAX: number;
  KPI_OPENAI_ERROR_RATE_MAX: number;
}): KpiThresholds {
  return {
    duplicate_contact_rate: config.KPI_DUPLICATE_CONTACT_RATE_MAX,
    payment_sync_success_rate: config.KPI_PAYMENT_SYNC_SUCCESS_MIN,
    tickets_missing_context_rate: config.KPI_TICKETS_MISSING_CONTEXT_MAX,
    webhook_failure_rate: config.KPI_WEBHOOK_FAILURE_RATE_MAX,
    manual_overrides_per_week: config.KPI_OVERRIDES_PER_WEEK_MAX,
    openai_error_rate: config.KPI_OPENAI_ERROR_RATE_MAX,
  };
}

export interface Kpi {
  key: KpiKey;
  label: string;
  /** Null when the window holds nothing to measure; such a KPI is ok. */
  value: number | null;
  unit: "%" | "count";
  threshold: number;
  comparator: Comparator;
  ok: boolean;
  window: string;
}

export function holds(value: number, comparator: Comparator, threshold: number): boolean {
  switch (comparator) {
    case "<":
      return value < threshold;
    case "<=":
      return value <= threshold;
    case ">=":
      return value >= threshold;
    case ">":
      return value > threshold;
  }
}

/** A share as a percentage, unrounded (one duplicate in 100,000 contacts still breaches 0); null when there is no whole. */
export function percent(part: number, whole: number): number | null {
  if (whole <= 0) return null;
  return (part / whole) * 100;
}

/** Judges one measured value: no data is not a breach. */
export function evaluateKpi(key: KpiKey, value: number | null, threshold: number): Kpi {
  const def = KPI_DEFINITIONS[key];
  return {
    key,
    label: def.label,
    value,
    unit: def.unit,
    threshold,
    comparator: def.comparator,
    ok: value === null || holds(value, def.comparator, threshold),
    window: def.window.label,
  };
}
