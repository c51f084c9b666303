/**
 * Business KPIs: what each one means, the window it is measured over, and the pure judgement of a
 * measurement against its threshold and minimum sample. The SQL that measures them is in
 * kpi-queries.ts (and kpi-latency.ts, kpi-onboarding.ts).
 */

export const KPI_KEYS = [
  "duplicate_contact_rate",
  "payment_sync_success_rate",
  "payment_sync_delay_p95",
  "tickets_missing_context_rate",
  "ticket_creation_success_rate",
  "ticket_creation_p95",
  "webhook_failure_rate",
  "manual_overrides_per_week",
  "openai_error_rate",
  "onboarding_dropoff_rate",
  "onboarding_ticket_rate",
] as const;
export type KpiKey = (typeof KPI_KEYS)[number];

/** The value is fine while `value <comparator> threshold` holds. */
export type Comparator = "<" | "<=" | ">=" | ">";

export type KpiUnit = "%" | "count" | "ms";

export interface KpiWindow {
  /** Human name of the window, as shown in the JSON and in alerts. */
  label: string;
  /** Length in ms; null for a snapshot of current state (all rows). */
  ms: number | null;
}

const HOUR = 3_600_000;
export const DAY_MS = 24 * HOUR;
/** The baseline a KPI judged against its own past is measured over: the 7 days before its window. */
export const BASELINE_MS = 7 * DAY_MS;
export const KPI_WINDOWS = {
  snapshot: { label: "all contacts (current state)", ms: null },
  day: { label: "last 24 h", ms: DAY_MS },
  week: { label: "last 7 days", ms: 7 * DAY_MS },
  dayVsWeek: { label: "last 24 h, against the 7 days before", ms: DAY_MS },
  checkoutsVsWeek: {
    label: "checkouts whose onboarding window ended in the last 24 h, against the 7 days before",
    ms: DAY_MS,
  },
} as const satisfies Record<string, KpiWindow>;

/** A ticket younger than this is still being worked on by support-context, so it is not judged yet. */
export const TICKET_CONTEXT_GRACE_MS = 10 * 60_000;

export interface KpiDefinition {
  key: KpiKey;
  label: string;
  unit: KpiUnit;
  comparator: Comparator;
  window: KpiWindow;
  /** Judged against the same measure over the 7 days before: the threshold is a percentage above that. */
  baseline?: true;
  /** A count (not a share of a sample): the minimum sample does not apply. */
  unsampled?: true;
}

const def = (
  key: KpiKey,
  label: string,
  unit: KpiUnit,
  comparator: Comparator,
  window: KpiWindow,
  more: Pick<KpiDefinition, "baseline" | "unsampled"> = {},
): KpiDefinition => ({ key, label, unit, comparator, window, ...more });

export const KPI_DEFINITIONS: Readonly<Record<KpiKey, KpiDefinition>> = {
  duplicate_contact_rate: def("duplicate_contact_rate", "Duplicate CRM contacts", "%", "<=", KPI_WINDOWS.snapshot),
  payment_sync_success_rate: def("payment_sync_success_rate", "Payment sync success", "%", ">=", KPI_WINDOWS.day),
  payment_sync_delay_p95: def("payment_sync_delay_p95", "Payment sync delay p95 (ms)", "ms", "<", KPI_WINDOWS.day),
  tickets_missing_context_rate: def(
    "tickets_missing_context_rate",
    "Tickets missing context",
    "%",
    "<",
    KPI_WINDOWS.day,
  ),
  ticket_creation_success_rate: def(
    "ticket_creation_success_rate",
    "Support ticket creation success",
    "%",
    ">=",
    KPI_WINDOWS.day,
  ),
  ticket_creation_p95: def("ticket_creation_p95", "Support ticket creation p95 (ms)", "ms", "<", KPI_WINDOWS.day),
  webhook_failure_rate: def("webhook_failure_rate", "Webhook failures", "%", "<", KPI_WINDOWS.day),
  manual_overrides_per_week: def("manual_overrides_per_week", "Manual overrides", "count", "<=", KPI_WINDOWS.week, {
    unsampled: true,
  }),
  openai_error_rate: def("openai_error_rate", "OpenAI triage errors", "%", "<", KPI_WINDOWS.day),
  onboarding_dropoff_rate: def(
    "onboarding_dropoff_rate",
    "Checkout-to-onboarding drop-off",
    "%",
    "<=",
    KPI_WINDOWS.checkoutsVsWeek,
    { baseline: true },
  ),
  onboarding_ticket_rate: def(
    "onboarding_ticket_rate",
    "Tickets tied to onboarding",
    "%",
    "<=",
    KPI_WINDOWS.dayVsWeek,
    {
      baseline: true,
    },
  ),
};

/** Each KPI's threshold; for a KPI with a baseline, how many percent above the baseline it may go. */
export type KpiThresholds = Record<KpiKey, number>;

export const DEFAULT_KPI_THRESHOLDS: KpiThresholds = {
  duplicate_contact_rate: 0,
  payment_sync_success_rate: 99,
  payment_sync_delay_p95: 2_000,
  tickets_missing_context_rate: 2,
  ticket_creation_success_rate: 99,
  ticket_creation_p95: 5_000,
  webhook_failure_rate: 1,
  manual_overrides_per_week: 10,
  openai_error_rate: 5,
  onboarding_dropoff_rate: 20,
  onboarding_ticket_rate: 20,
};

export const DEFAULT_MIN_SAMPLE = 10;

/** Everything loadKpis needs besides the database: thresholds, minimum samples, and which CRM and desk are in use. */
export interface KpiSettings {
  thresholds: KpiThresholds;
  minSample: Record<KpiKey, number>;
  /** How long after a checkout a login or onboarding.completed still counts as onboarded. */
  onboardingWithinMs: number;
  /** Where contacts and notes go, so the KPIs measure that system's records. */
  crm: "local" | "hubspot";
  desk: "local" | "zendesk";
}

/** The config keys (packages/config) the settings come from. */
export interface KpiConfig {
  KPI_DUPLICATE_CONTACT_RATE_MAX: number;
  KPI_PAYMENT_SYNC_SUCCESS_MIN: number;
  KPI_PAYMENT_SYNC_P95_MAX_MS: number;
  KPI_TICKETS_MISSING_CONTEXT_MAX: number;
  KPI_TICKET_CREATION_SUCCESS_MIN: number;
  KPI_TICKET_CREATION_P95_MAX_MS: number;
  KPI_WEBHOOK_FAILURE_RATE_MAX: number;
  KPI_OVERRIDES_PER_WEEK_MAX: number;
  KPI_OPENAI_ERROR_RATE_MAX: number;
  KPI_ONBOARDING_WITHIN_MS: number;
  KPI_ONBOARDING_RISE_MAX: number;
  KPI_MIN_SAMPLE: string;
  HUBSPOT_ACCESS_TOKEN?: string | undefined;
  ZENDESK_API_BASE?: string | undefined;
  ZENDESK_EMAIL?: string | undefined;
  ZENDESK_API_TOKEN?: string | undefined;
}

/** `10` (every KPI), `webhook_failure_rate=100` (one), or both, comma-separated. */
export function parseMinSample(text: string): Record<KpiKey, number> {
  const items = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bare = items.filter((i) => !i.includes("="));
  const fallback = bare.length > 0 ? Number(bare.at(-1)) : DEFAULT_MIN_SAMPLE;
  const out = Object.fromEntries(KPI_KEYS.map((k) => [k, fallback])) as Record<KpiKey, number>;
  for (const item of items.filter((i) => i.includes("="))) {
    const [key = "", n = ""] = item.split("=").map((s) => s.trim());
    if (!(KPI_KEYS as readonly string[]).includes(key))
      throw new Error(`KPI_MIN_SAMPLE names "${key}", which is not a KPI (${KPI_KEYS.join(", ")})`);
    out[key as KpiKey] = Number(n);
  }
  return out;
}

export function kpiSettings(config: KpiConfig): KpiSettings {
  const overBaseline = config.KPI_ONBOARDING_RISE_MAX;
  return {
    thresholds: {
      duplicate_contact_rate: config.KPI_DUPLICATE_CONTACT_RATE_MAX,
      payment_sync_success_rate: config.KPI_PAYMENT_SYNC_SUCCESS_MIN,
      payment_sync_delay_p95: config.KPI_PAYMENT_SYNC_P95_MAX_MS,
      tickets_missing_context_rate: config.KPI_TICKETS_MISSING_CONTEXT_MAX,
      ticket_creation_success_rate: config.KPI_TICKET_CREATION_SUCCESS_MIN,
      ticket_creation_p95: config.KPI_TICKET_CREATION_P95_MAX_MS,
      webhook_failure_rate: config.KPI_WEBHOOK_FAILURE_RATE_MAX,
      manual_overrides_per_week: config.KPI_OVERRIDES_PER_WEEK_MAX,
      openai_error_rate: config.KPI_OPENAI_ERROR_RATE_MAX,
      onboarding_dropoff_rate: overBaseline,
      onboarding_ticket_rate: overBaseline,
    },
    minSample: parseMinSample(config.KPI_MIN_SAMPLE),
    onboardingWithinMs: config.KPI_ONBOARDING_WITHIN_MS,
    // The same switches the workers use (crm-sync's token, supportDesk()'s three variables).
    crm: config.HUBSPOT_ACCESS_TOKEN ? "hubspot" : "local",
    desk: config.ZENDESK_API_BASE && config.ZENDESK_EMAIL && config.ZENDESK_API_TOKEN ? "zendesk" : "local",
  };
}

/** Defaults throughout, on the local CRM and desk. */
export const DEFAULT_KPI_SETTINGS: KpiSettings = {
  thresholds: DEFAULT_KPI_THRESHOLDS,
  minSample: parseMinSample(String(DEFAULT_MIN_SAMPLE)),
  onboardingWithinMs: DAY_MS,
  crm: "local",
  desk: "local",
};

/** What a query found: the value and what it stands on. */
export interface Measurement {
  /** Null when there was nothing to measure. */
  value: number | null;
  /** How many things the value is measured over (webhooks, events, tickets, contacts, checkouts); null for a count. */
  sample: number | null;
  /** The same measure over the 7 days before, for a KPI judged against its own past. */
  baseline?: { value: number | null; sample: number };
  /** Why there is nothing to measure, said the way the console shows it. */
  empty?: string;
  /** Where the value comes from, or what it counts, when that is worth saying. */
  detail?: string;
}

export type KpiStatus = "ok" | "breached" | "no_data" | "low_sample" | "no_baseline";

export interface Kpi {
  key: KpiKey;
  label: string;
  /** Null when the window holds nothing to measure. */
  value: number | null;
  unit: KpiUnit;
  /** For a KPI with a baseline, the baseline plus its allowance; null until there is a baseline. */
  threshold: number | null;
  comparator: Comparator;
  /** False only when judged and breached: no data, a sample under the minimum or no baseline are never a breach. */
  ok: boolean;
  status: KpiStatus;
  window: string;
  sample: number | null;
  minSample: number;
  baseline: number | null;
  /** Why it is not judged, and where the value comes from. */
  note: string | null;
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

/** Only a judged KPI may alert or recover; the rest are shown with the reason they are not judged. */
export const judged = (kpi: Pick<Kpi, "status">) => kpi.status === "ok" || kpi.status === "breached";

/** Judges one measurement: no data, too small a sample or no baseline yet is not a breach. */
export function evaluateKpi(key: KpiKey, m: Measurement, settings: KpiSettings = DEFAULT_KPI_SETTINGS): Kpi {
  const d = KPI_DEFINITIONS[key];
  const minSample = d.unsampled ? 0 : settings.minSample[key];
  const allowance = settings.thresholds[key];
  const baseline = m.baseline?.value ?? null;
  const threshold = d.baseline ? (baseline === null ? null : baseline * (1 + allowance / 100)) : allowance;
  let status: KpiStatus;
  let why: string | undefined;
  if (m.value === null) {
    status = "no_data";
    why = m.empty ?? "nothing to measure in the window";
  } else if (m.sample !== null && m.sample < minSample) {
    status = "low_sample";
    why = `${m.sample} measured, ${minSample} needed before it can alert`;
  } else if (d.baseline && (threshold === null || (m.baseline?.sample ?? 0) < minSample)) {
    status = "no_baseline";
    why = `no 7-day baseline yet (${m.baseline?.sample ?? 0} measured, ${minSample} needed)`;
  } else {
    status = holds(m.value, d.comparator, threshold ?? 0) ? "ok" : "breached";
  }
  const note = [why, m.detail].filter(Boolean).join("; ");
  return {
    key,
    label: d.label,
    value: m.value,
    unit: d.unit,
    threshold,
    comparator: d.comparator,
    ok: status !== "breached",
    status,
    window: d.window.label,
    sample: m.sample,
    minSample,
    baseline,
    note: note || null,
  };
}
