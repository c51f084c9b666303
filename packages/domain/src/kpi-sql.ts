import { type Db, sql } from "@switchyard/db";
import { KPI_DEFINITIONS, type KpiKey, type KpiSettings, type Measurement } from "./kpis.ts";

/** What every measure is given: the moment it measures at and the settings (desk, CRM, onboarding window). */
export interface MeasureContext {
  now: Date;
  settings: KpiSettings;
}

export type Measure = (db: Db, ctx: MeasureContext) => Promise<Measurement>;

export const int = (expr: ReturnType<typeof sql>) => sql<number>`(${expr})::int`;
export const float = (expr: ReturnType<typeof sql>) => sql<number | null>`(${expr})::float8`;

/** The start of a KPI's window ending at `now`. */
export function since(key: KpiKey, now: Date): Date {
  const ms = KPI_DEFINITIONS[key].window.ms ?? 0;
  return new Date(now.getTime() - ms);
}

export const ago = (now: Date, ms: number) => new Date(now.getTime() - ms);

/** A share of a sample, null (with the reason) when the sample is empty. */
export function share(part: number, whole: number, empty: string, detail?: string): Measurement {
  return {
    value: whole > 0 ? (part / whole) * 100 : null,
    sample: whole,
    ...(whole > 0 ? {} : { empty }),
    ...(detail ? { detail } : {}),
  };
}
