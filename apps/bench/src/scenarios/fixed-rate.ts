// Latency at a fixed rate, from the open-loop generator (steady.ts), for ingest and the baseline.
// Its runs are part of each ingest-vs-baseline round, so they start from the state a saturated pair
// leaves; this file is what one of them is and how the rounds add up.
import type { Made } from "../load.ts";
import { median } from "../load.ts";
import type { FixedRate } from "../report.ts";
import type { BenchSettings } from "../settings.ts";
import { type SteadyResult, steadyLoad } from "../steady.ts";

export const fixedRateRun = (url: string, make: () => Made, s: BenchSettings): Promise<SteadyResult> =>
  steadyLoad(url, make, { rate: s.steadyRate, seconds: s.roundSeconds });

/** The median rounds by p99: the tail is what a fixed rate shows that a saturated run cannot. */
export function fixedRateOf(rate: number, rounds: FixedRate["rounds"]): FixedRate {
  return {
    rate,
    ingest: median(rounds.ingest, (r) => r.p99),
    baseline: median(rounds.baseline, (r) => r.p99),
    rounds,
  };
}
