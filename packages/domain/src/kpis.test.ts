import { describe, expect, it } from "vitest";
import {
  DEFAULT_KPI_SETTINGS,
  evaluateKpi,
  holds,
  judged,
  KPI_DEFINITIONS,
  KPI_KEYS,
  type KpiKey,
  kpiSettings,
  parseMinSample,
  percent,
} from "./kpis.ts";

const measured = (value: number | null, sample: number | null = 100) => ({ value, sample });

describe("KPI evaluation", () => {
  it("judges a value against its threshold with the KPI's comparator", () => {
    expect(holds(0.5, "<", 1)).toBe(true);
    expect(holds(1, "<", 1)).toBe(false);
    expect(holds(0, "<=", 0)).toBe(true);
    expect(holds(99, ">=", 99)).toBe(true);
    expect(holds(98.99, ">=", 99)).toBe(false);
    expect(holds(2, ">", 1)).toBe(true);
  });

  it("the defaults, on each side of every fixed threshold", () => {
    const judge = (key: KpiKey, value: number) => evaluateKpi(key, measured(value)).ok;
    expect(judge("duplicate_contact_rate", 0)).toBe(true);
    expect(judge("duplicate_contact_rate", 0.001)).toBe(false);
    expect(judge("payment_sync_success_rate", 99)).toBe(true);
    expect(judge("payment_sync_success_rate", 98.9)).toBe(false);
    expect(judge("payment_sync_delay_p95", 1_999)).toBe(true);
    expect(judge("payment_sync_delay_p95", 2_000)).toBe(false);
    expect(judge("tickets_missing_context_rate", 1.99)).toBe(true);
    expect(judge("tickets_missing_context_rate", 2)).toBe(false);
    expect(judge("ticket_creation_success_rate", 99)).toBe(true);
    expect(judge("ticket_creation_success_rate", 98.9)).toBe(false);
    expect(judge("ticket_creation_p95", 4_999)).toBe(true);
    expect(judge("ticket_creation_p95", 5_000)).toBe(false);
    expect(judge("webhook_failure_rate", 0.99)).toBe(true);
    expect(judge("webhook_failure_rate", 1)).toBe(false);
    expect(judge("manual_overrides_per_week", 10)).toBe(true);
    expect(judge("manual_overrides_per_week", 11)).toBe(false);
    expect(judge("openai_error_rate", 4.9)).toBe(true);
    expect(judge("openai_error_rate", 5)).toBe(false);
  });

  it("no data is not a breach: the value is null, the KPI ok, and the note says why", () => {
    for (const key of KPI_KEYS) {
      const kpi = evaluateKpi(key, { value: null, sample: 0, empty: "nothing here" });
      expect(kpi).toMatchObject({
        key,
        label: KPI_DEFINITIONS[key].label,
        value: null,
        unit: KPI_DEFINITIONS[key].unit,
        comparator: KPI_DEFINITIONS[key].comparator,
        ok: true,
        status: "no_data",
        window: KPI_DEFINITIONS[key].window.label,
        note: "nothing here",
      });
      expect(judged(kpi)).toBe(false);
    }
  });

  it("below its minimum sample a KPI shows its value and is not judged; at the minimum it is", () => {
    const low = evaluateKpi("webhook_failure_rate", { value: 50, sample: 9 });
    expect(low).toMatchObject({ value: 50, ok: true, status: "low_sample", sample: 9, minSample: 10 });
    expect(low.note).toBe("9 measured, 10 needed before it can alert");
    expect(evaluateKpi("webhook_failure_rate", { value: 50, sample: 10 })).toMatchObject({
      ok: false,
      status: "breached",
    });
    // A count has no sample: eleven overrides breach however few there are.
    expect(evaluateKpi("manual_overrides_per_week", { value: 11, sample: null })).toMatchObject({
      status: "breached",
      minSample: 0,
    });
  });

  it("a KPI with a baseline breaches above baseline + 20 %, and is not judged without a baseline", () => {
    const withBase = (value: number, base: number | null, baseSample = 50) =>
      evaluateKpi("onboarding_dropoff_rate", { value, sample: 20, baseline: { value: base, sample: baseSample } });
    expect(withBase(36, 30)).toMatchObject({ ok: true, status: "ok", baseline: 30, threshold: 36 });
    expect(withBase(36.5, 30)).toMatchObject({ ok: false, status: "breached", threshold: 36 });
    expect(withBase(80, null, 0)).toMatchObject({ ok: true, status: "no_baseline", threshold: null });
    expect(withBase(80, 10, 3).status).toBe("no_baseline");
    expect(withBase(80, 10, 3).note).toBe("no 7-day baseline yet (3 measured, 10 needed)");
    expect(
      evaluateKpi("onboarding_ticket_rate", { value: 10, sample: 20, baseline: { value: 10, sample: 70 } }).status,
    ).toBe("ok");
  });

  it("a share is a percentage, unrounded, and null without a whole", () => {
    expect(percent(1, 3)).toBeCloseTo(33.333, 2);
    expect(percent(1, 100_000)).toBeGreaterThan(0);
    expect(percent(0, 0)).toBeNull();
  });
});

describe("KPI settings", () => {
  it("a minimum sample for every KPI, one set apart, or both; an unknown key is refused by name", () => {
    expect(parseMinSample("25").payment_sync_delay_p95).toBe(25);
    const mixed = parseMinSample("5, webhook_failure_rate=200");
    expect(mixed.webhook_failure_rate).toBe(200);
    expect(mixed.openai_error_rate).toBe(5);
    expect(parseMinSample("webhook_failure_rate=1").openai_error_rate).toBe(10);
    expect(() => parseMinSample("webhook_failures=3")).toThrow(/KPI_MIN_SAMPLE names "webhook_failures"/);
  });

  it("measure the CRM and desk the workers write to", () => {
    const base = {
      KPI_DUPLICATE_CONTACT_RATE_MAX: 0,
      KPI_PAYMENT_SYNC_SUCCESS_MIN: 99,
      KPI_PAYMENT_SYNC_P95_MAX_MS: 2_000,
      KPI_TICKETS_MISSING_CONTEXT_MAX: 2,
      KPI_TICKET_CREATION_SUCCESS_MIN: 99,
      KPI_TICKET_CREATION_P95_MAX_MS: 5_000,
      KPI_WEBHOOK_FAILURE_RATE_MAX: 1,
      KPI_OVERRIDES_PER_WEEK_MAX: 10,
      KPI_OPENAI_ERROR_RATE_MAX: 5,
      KPI_ONBOARDING_WITHIN_MS: 86_400_000,
      KPI_ONBOARDING_RISE_MAX: 20,
      KPI_MIN_SAMPLE: "10",
    };
    expect(kpiSettings(base)).toEqual(DEFAULT_KPI_SETTINGS);
    const wired = kpiSettings({
      ...base,
      HUBSPOT_ACCESS_TOKEN: "pat",
      ZENDESK_API_BASE: "https://x.zendesk.com",
      ZENDESK_EMAIL: "a@b.c",
      ZENDESK_API_TOKEN: "t",
    });
    expect(wired).toMatchObject({ crm: "hubspot", desk: "zendesk" });
    expect(kpiSettings({ ...base, ZENDESK_API_BASE: "https://x.zendesk.com" }).desk).toBe("local");
  });
});
