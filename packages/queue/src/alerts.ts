import type { Logger } from "@switchyard/config";
import { failureQueueName, type ReasonCode } from "@switchyard/events";
import type { Redis } from "ioredis";
import { escapeMrkdwn, link, untrusted } from "./mrkdwn.ts";

export interface ParkedAlert {
  queue: string;
  jobName: string;
  /** The job's last error, redacted; it may quote the event, so it is shown inert. */
  error: string;
  attempts?: number;
}

export interface Alerter {
  /** A job was parked in `failed.<reason>`: one message per reason per window. */
  notify(reason: ReasonCode, detail: ParkedAlert): Promise<void>;
  /**
   * A business KPI crossed its threshold. The caller alerts once per crossing (see admin's KPI
   * checker); `crossing` names it, so a retried call for the same crossing is still one message.
   */
  notifyKpi(kpi: KpiAlert, crossing: string): Promise<void>;
  /**
   * Posts a message the caller built and claimed (the failure watch, the stuck checker). Every
   * part of `text` that came from an event must already have passed through `untrusted()`.
   */
  send(text: string, fields: Record<string, unknown>): Promise<void>;
  /** Admin's address, for the links an alert carries. */
  readonly adminUrl: string;
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
  /** Where links point; admin on its default port when absent. */
  adminUrl?: string | undefined;
}

/** Admin's address as the other processes know it: ADMIN_BIND is loopback unless told otherwise. */
export function adminUrlOf(config: { ADMIN_PORT: number }): string {
  return `http://127.0.0.1:${config.ADMIN_PORT}`;
}

/** Links to where an operator looks first: the console's failures of a reason, and a Bull Board queue. */
export function lookLinks(adminUrl: string, reason: ReasonCode, queue: { name: string; status: string }): string {
  return [
    link(`${adminUrl}/console/failures?reason=${encodeURIComponent(reason)}`, `${reason} failures in the console`),
    link(
      `${adminUrl}/queues/queue/${encodeURIComponent(queue.name)}?status=${queue.status}`,
      `${queue.name} in Bull Board`,
    ),
  ].join(" · ");
}

/**
 * The first parked job of a reason alerts at once; the rest of its window only counts, so a storm
 * is one message. The window lives in Redis, so every worker process shares it.
 */
export function createAlerter(opts: AlerterOptions): Alerter {
  const adminUrl = opts.adminUrl ?? adminUrlOf({ ADMIN_PORT: 3001 });

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
    adminUrl,
    send,

    async notify(reason, detail) {
      const key = `${opts.prefix}:alerts:${reason}`;
      const first = await opts.redis.set(key, String(Date.now()), "PX", opts.windowMs, "NX");
      if (first !== "OK") {
        await opts.redis.incr(`${key}:held`);
        return;
      }
      const held = Number((await opts.redis.getdel(`${key}:held`)) ?? 0);
      const after = detail.attempts === undefined ? "" : ` after ${detail.attempts} attempt(s)`;
      const text = [
        `:rotating_light: Switchyard: ${reason} in ${escapeMrkdwn(detail.queue)} (${escapeMrkdwn(detail.jobName)}), parked${after}`,
        `> ${untrusted(detail.error)}`,
        held > 0 ? `${held} more ${reason} failure(s) were held back since the last alert.` : "",
        `Further ${reason} failures in the next ${Math.round(opts.windowMs / 1000)} s are counted, not sent.`,
        lookLinks(adminUrl, reason, { name: failureQueueName(reason), status: "failed" }),
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
        `:chart_with_downwards_trend: Switchyard KPI: ${escapeMrkdwn(kpi.label)} is ${formatValue(kpi.value, kpi.unit)} (${escapeMrkdwn(kpi.window)})`,
        `> threshold: ${escapeMrkdwn(kpi.key)} ${escapeMrkdwn(kpi.comparator)} ${formatValue(kpi.threshold, kpi.unit)}`,
        "One alert per crossing: it alerts again only after it has recovered.",
      ].join("\n");
      await send(text, { kpi: kpi.key, value: kpi.value, threshold: kpi.threshold });
    },
  };
}
