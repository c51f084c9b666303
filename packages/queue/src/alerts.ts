import type { Logger } from "@switchyard/config";
import type { ReasonCode } from "@switchyard/events";
import type { Redis } from "ioredis";

export interface Alerter {
  notify(reason: ReasonCode, detail: { queue: string; jobName: string; error: string }): Promise<void>;
  /**
   * A business KPI crossed its threshold. The caller alerts once per crossing (see admin's KPI
   * checker); `crossing` names it, so a retried call for the same crossing is still one message.
   */
  notifyKpi(kpi: KpiAlert, crossing: string): Promise<void>;
}

/** What a KPI alert says; the shape of @switchyard/domain's Kpi, without depending on it. */
export interface KpiAlert {
  key: string;
  label: string;
  value: number | null;
  unit: string;
  threshold: number;
  comparator: string;
  window: string;
}

/** Atomically: this crossing is new for the key (claim it, 1) or already alerted (0). */
const CLAIM_CROSSING = `if redis.call("GET", KEYS[1]) == ARGV[1] then return 0 end
redis.call("SET", KEYS[1], ARGV[1])
return 1`;

const formatValue = (value: number | null, unit: string) =>
  value === null ? "no data" : unit === "%" ? `${Number(value.toFixed(2))}%` : `${value}`;

export interface AlerterOptions {
  redis: Redis;
  prefix: string;
  logger: Logger;
  /** Slack-compatible incoming webhook; without one the alert is a structured log line. */
  webhookUrl?: string | undefined;
  windowMs: number;
}

/**
 * The first failure of a reason alerts at once; the rest of its window only counts, so a storm is
 * one message. The window lives in Redis, so every worker process shares it.
 */
export function createAlerter(opts: AlerterOptions): Alerter {
  async function send(text: string, fields: Record<string, unknown>): Promise<void> {
    if (!opts.webhookUrl) {
      opts.logger.warn("alert", { ...fields, text });
      return;
    }
    try {
      const res = await fetch(opts.webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text }),
        signal: AbortSignal.timeout(5_000),
      });
      if (!res.ok) opts.logger.error("alert webhook refused the alert", { status: res.status, ...fields });
    } catch (err) {
      opts.logger.error("alert webhook unreachable", { ...fields, err });
    }
  }

  return {
    async notify(reason, detail) {
      const key = `${opts.prefix}:alerts:${reason}`;
      const first = await opts.redis.set(key, String(Date.now()), "PX", opts.windowMs, "NX");
      if (first !== "OK") {
        await opts.redis.incr(`${key}:held`);
        return;
      }
      const held = Number((await opts.redis.getdel(`${key}:held`)) ?? 0);
      const text = [
        `:rotating_light: Switchyard: ${reason} in ${detail.queue} (${detail.jobName})`,
        `> ${detail.error.slice(0, 300)}`,
        held > 0 ? `${held} more ${reason} failure(s) were held back since the last alert.` : "",
        `Further ${reason} failures in the next ${Math.round(opts.windowMs / 1000)} s are counted, not sent.`,
      ]
        .filter(Boolean)
        .join("\n");
      await send(text, { reason, queue: detail.queue, job: detail.jobName, held });
    },

    async notifyKpi(kpi, crossing) {
      // The key holds the last crossing alerted for this KPI, so it needs no expiry: a KPI breached
      // for a month is still one message, and a new crossing (a new id) always gets its own.
      const claimed = await opts.redis.eval(CLAIM_CROSSING, 1, `${opts.prefix}:alerts:kpi:${kpi.key}`, crossing);
      if (claimed !== 1) return;
      const text = [
        `:chart_with_downwards_trend: Switchyard KPI: ${kpi.label} is ${formatValue(kpi.value, kpi.unit)} (${kpi.window})`,
        `> threshold: ${kpi.key} ${kpi.comparator} ${formatValue(kpi.threshold, kpi.unit)}`,
        "One alert per crossing: it alerts again only after it has recovered.",
      ].join("\n");
      await send(text, { kpi: kpi.key, value: kpi.value, threshold: kpi.threshold });
    },
  };
}
