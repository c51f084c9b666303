import { randomUUID } from "node:crypto";
import type { Logger } from "@switchyard/config";
import type { Db } from "@switchyard/db";
import { judged, type Kpi, type KpiSettings, loadKpis, openStaleOrderRecords } from "@switchyard/domain";
import type { Alerter, createRedis } from "@switchyard/queue";

export interface KpiChecker {
  /** Measures and judges every KPI once, alerting on each new crossing; the timer calls this. */
  check(): Promise<Kpi[]>;
  /** How many checks have finished, for tests and the console. */
  readonly runs: number;
  close(): Promise<void>;
}

export interface KpiCheckerOptions {
  db: Db;
  redis: ReturnType<typeof createRedis>;
  prefix: string;
  alerter: Alerter;
  settings: KpiSettings;
  logger: Logger;
  /** Omit to check only when check() is called. */
  intervalMs?: number;
  /** Orders pending (or payment_failed) this long get a support record on each check (ORDER_PENDING_REVIEW_MS). */
  orderPendingReviewMs?: number;
}

/**
 * Alerts once per crossing. While a KPI is breached, Redis holds `<prefix>:kpi:breach:<key>` = the
 * crossing's id; the first process to see the breach creates it (SET NX), recovery deletes it. Every
 * process that sees the breach offers the alert for that crossing and the alerter's own claim lets
 * exactly one through, so several admin processes neither double-alert nor lose an alert when the
 * one that saw it first dies before sending.
 */
export function startKpiChecker(opts: KpiCheckerOptions): KpiChecker {
  const { redis, logger } = opts;
  let runs = 0;
  let inFlight: Promise<Kpi[]> | undefined;

  async function judge(kpi: Kpi): Promise<void> {
    const stateKey = `${opts.prefix}:kpi:breach:${kpi.key}`;
    // Not judged (no data, a sample under the minimum, no baseline yet): neither a breach nor a
    // recovery, so a crossing still open stays one crossing until a measurement says it is over.
    if (!judged(kpi) || kpi.threshold === null) return;
    if (kpi.ok) {
      if ((await redis.del(stateKey)) > 0) logger.info("kpi recovered", { kpi: kpi.key, value: kpi.value });
      return;
    }
    await redis.set(stateKey, randomUUID(), "NX");
    const crossing = await redis.get(stateKey);
    if (crossing) await opts.alerter.notifyKpi({ ...kpi, threshold: kpi.threshold }, crossing);
  }

  async function check(): Promise<Kpi[]> {
    const kpis = await loadKpis(opts.db, opts.settings);
    for (const kpi of kpis) await judge(kpi);
    // Dead ends only time reveals: no event arrives to say an order never got paid.
    if (opts.orderPendingReviewMs !== undefined) {
      const opened = await openStaleOrderRecords(opts.db, opts.orderPendingReviewMs);
      if (opened) logger.info("stale orders recorded", { opened });
    }
    runs += 1;
    return kpis;
  }

  const timer =
    opts.intervalMs === undefined
      ? undefined
      : setInterval(() => {
          if (inFlight) return; // a slow check is never overlapped by the next one
          inFlight = check()
            .catch((err: unknown) => {
              logger.warn("kpi check failed", { err });
              return [];
            })
            .finally(() => {
              inFlight = undefined;
            });
        }, opts.intervalMs);
  timer?.unref();

  return {
    check,
    get runs() {
      return runs;
    },
    async close() {
      if (timer) clearInterval(timer);
      await inFlight;
    },
  };
}
