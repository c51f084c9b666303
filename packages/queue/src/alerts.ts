import type { Logger } from "@switchyard/config";
import type { ReasonCode } from "@switchyard/events";
import type { Redis } from "ioredis";

export interface Alerter {
  notify(reason: ReasonCode, detail: { queue: string; jobName: string; error: string }): Promise<void>;
}

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
      if (!opts.webhookUrl) {
        opts.logger.warn("alert", { reason, queue: detail.queue, job: detail.jobName, held, text });
        return;
      }
      try {
        const res = await fetch(opts.webhookUrl, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ text }),
          signal: AbortSignal.timeout(5_000),
        });
        if (!res.ok) opts.logger.error("alert webhook refused the alert", { status: res.status, reason });
      } catch (err) {
        opts.logger.error("alert webhook unreachable", { reason, err });
      }
    },
  };
}
