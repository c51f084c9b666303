import type { Logger } from "@switchyard/config";
import type { Db } from "@switchyard/db";
import { staleReviews } from "@switchyard/domain";
import { type Alerter, type createRedis, link } from "@switchyard/queue";
import { ageText, REVIEWS_PATH } from "./console/reviews.ts";

export interface ReviewAgeChecker {
  /** Counts open items older than the threshold, alerting when a backlog starts and saying when it clears. */
  check(): Promise<{ count: number; oldestAgeMs: number }>;
  close(): Promise<void>;
}

export interface ReviewAgeOptions {
  db: Db;
  redis: ReturnType<typeof createRedis>;
  prefix: string;
  alerter: Alerter;
  logger: Logger;
  /** REVIEW_ALERT_AFTER_MS. */
  olderThanMs: number;
  /** Omit to check only when check() is called. */
  intervalMs?: number;
}

/** A sixth of the threshold, between 1 s and a minute: the alert is late by that much at most. */
export const reviewCheckInterval = (olderThanMs: number) =>
  Math.min(60_000, Math.max(1_000, Math.floor(olderThanMs / 6)));

/**
 * Items waiting for a person too long: one alert when the first one crosses the threshold, none
 * while the backlog lasts, one "caught up" when none that old is left. The state is one Redis key
 * taken with SET NX, so several admin processes send each message once.
 */
export function startReviewAgeChecker(opts: ReviewAgeOptions): ReviewAgeChecker {
  const key = `${opts.prefix}:alerts:reviews:stale`;
  const inbox = link(`${opts.alerter.adminUrl}${REVIEWS_PATH}`, "review inbox");
  let inFlight: Promise<{ count: number; oldestAgeMs: number }> | undefined;

  async function run() {
    const stale = await staleReviews(opts.db, opts.olderThanMs);
    if (stale.count > 0) {
      if ((await opts.redis.set(key, String(Date.now()), "NX")) === "OK") {
        await opts.alerter.send(
          `:hourglass: Switchyard: ${stale.count} review item(s) waiting for a person longer than ${ageText(opts.olderThanMs)}; the oldest for ${ageText(stale.oldestAgeMs)}. ${inbox}`,
          { alert: "reviews_stale", count: stale.count, oldestAgeMs: stale.oldestAgeMs },
        );
      }
    } else if ((await opts.redis.del(key)) > 0) {
      await opts.alerter.send(`:white_check_mark: Switchyard: the review inbox has caught up. ${inbox}`, {
        alert: "reviews_stale",
        recovered: true,
      });
    }
    return stale;
  }

  const check = () => {
    inFlight ??= run().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  const timer = opts.intervalMs
    ? setInterval(() => {
        check().catch((err: unknown) => opts.logger.warn("review age check failed", { err }));
      }, opts.intervalMs)
    : undefined;
  timer?.unref();
  return {
    check,
    async close() {
      if (timer) clearInterval(timer);
      await inFlight?.catch(() => {});
    },
  };
}
