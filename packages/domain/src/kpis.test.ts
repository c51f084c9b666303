import { describe, expect, it } from "vitest";
import { DEFAULT_KPI_THRESHOLDS, evaluateKpi, holds, KPI_DEFINITIONS, KPI_KEYS, percent } from "./kpis.ts";

describe("KPI evaluation", () => {
  it("judges a value against its threshold with the KPI's comparator", () => {
    expect(holds(0.5, "<", 1)).toBe(true);
    expect(holds(1, "<", 1)).toBe(false);
    expect(holds(0, "<=", 0)).toBe(true);
    expect(holds(99, ">=", 99)).toBe(true);
    expect(holds(98.99, ">=", 99)).toBe(false);
    expect(holds(2, ">", 1)).toBe(true);
  });

  it("the defaults: any duplicate breaches, payment sync below 99% breaches, 2% missing context breaches", () => {
    const judge = (key: (typeof KPI_KEYS)[number], value: number | null) =>
      evaluateKpi(key, value, DEFAULT_KPI_THRESHOLDS[key]).ok;
    expect(judge("duplicate_contact_rate", 0)).toBe(true);
    expect(judge("duplicate_contact_rate", 0.001)).toBe(false);
    expect(judge("payment_sync_success_rate", 99)).toBe(true);
    expect(judge("payment_sync_success_rate", 98.9)).toBe(false);
    expect(judge("tickets_missing_context_rate", 1.99)).toBe(true);
    expect(judge("tickets_missing_context_rate", 2)).toBe(false);
    expect(judge("webhook_failure_rate", 1)).toBe(false);
    expect(judge("manual_overrides_per_week", 10)).toBe(true);
    expect(judge("manual_overrides_per_week", 11)).toBe(false);
    expect(judge("openai_error_rate", 4.9)).toBe(true);
    expect(judge("openai_error_rate", 5)).toBe(false);
  });

  it("no data is not a breach: the value is null and the KPI ok", () => {
    for (const key of KPI_KEYS) {
      expect(evaluateKpi(key, null, DEFAULT_KPI_THRESHOLDS[key])).toEqual({
        key,
        label: KPI_DEFINITIONS[key].label,
        value: null,
        unit: KPI_DEFINITIONS[key].unit,
        threshold: DEFAULT_KPI_THRESHOLDS[key],
        comparator: KPI_DEFINITIONS[key].comparator,
        ok: true,
        window: KPI_DEFINITIONS[key].window.label,
      });
    }
  });

  it("a share is a percentage, unrounded, and null without a whole", () => {
    expect(percent(1, 3)).toBeCloseTo(33.333, 2);
    expect(percent(1, 100_000)).toBeGreaterThan(0);
    expect(percent(0, 0)).toBeNull();
  });
});
