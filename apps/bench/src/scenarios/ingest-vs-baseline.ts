// Ingest against the bare baseline: saturated at 64 connections, then at a fixed rate, in rounds.
// The machine's speed drifts over a minute (a shared VM), so the two take turns, round after
// round, and the median counts.
import { fileURLToPath } from "node:url";
import { TEST_REDIS_URL } from "@switchyard/testkit";
import { median, type SaturatedRun, saturate, sleep, stripeSigned } from "../load.ts";
import { stop } from "../processes.ts";
import type { FixedRate, IngestVsBaseline } from "../report.ts";
import type { SteadyResult } from "../steady.ts";
import type { Context } from "./context.ts";
import { fixedRateOf, fixedRateRun } from "./fixed-rate.ts";

/**
 * A run leaves Postgres with work to catch up on (WAL, dirty pages, autovacuum), and ingest's relay
 * with rows to check; it lands on whatever runs next. So the two take turns at going first.
 */
async function inTurns<T>(i: number, ingestRun: () => Promise<T>, baselineRun: () => Promise<T>) {
  if (i % 2 === 0) {
    const first = await ingestRun();
    return [first, await baselineRun()] as const;
  }
  const first = await baselineRun();
  return [await ingestRun(), first] as const;
}

export async function ingestVsBaseline(ctx: Context): Promise<{ ingest: IngestVsBaseline; fixedRate: FixedRate }> {
  const { run, settings: s } = ctx;
  const signed = stripeSigned(run.secret);
  const baselineProc = run.processes.start("bare baseline", fileURLToPath(new URL("../baseline.ts", import.meta.url)), {
    args: [
      JSON.stringify({
        databaseUrl: run.databaseUrl,
        redisUrl: TEST_REDIS_URL,
        secret: run.secret,
        key: `${run.prefix}:baseline`,
      }),
    ],
    env: {},
    nodeFlags: s.nodeFlags.baseline,
  });
  await baselineProc.ready("baseline listening");
  const baselineUrl = `http://127.0.0.1:${/baseline listening (\d+)/.exec(baselineProc.output())?.[1]}`;
  const webhookUrl = `${ctx.ingestUrl}/webhooks/stripe`;
  const saturated = (url: string) => saturate(url, signed, { connections: s.connections, duration: s.roundSeconds });

  // The baseline warms up first: round 0 starts with ingest, which then follows its own warm-up
  // rather than the Postgres catch-up the baseline's leaves (one commit per row).
  await saturate(baselineUrl, signed, { connections: s.connections, duration: s.warmupSeconds });
  await saturate(webhookUrl, signed, { connections: s.connections, duration: s.warmupSeconds });
  await sleep(s.settleMs);

  const rounds = { switchyard: [] as SaturatedRun[], baseline: [] as SaturatedRun[] };
  const steady = { ingest: [] as SteadyResult[], baseline: [] as SteadyResult[] };
  for (let i = 0; i < s.rounds; i++) {
    const [ingestRun, baselineRun] = await inTurns(
      i,
      () => saturated(webhookUrl),
      () => saturated(baselineUrl),
    );
    rounds.switchyard.push(ingestRun);
    rounds.baseline.push(baselineRun);
    await sleep(s.settleMs);
    const [ingestSteady, baselineSteady] = await inTurns(
      i,
      () => fixedRateRun(webhookUrl, signed, s),
      () => fixedRateRun(baselineUrl, signed, s),
    );
    steady.ingest.push(ingestSteady);
    steady.baseline.push(baselineSteady);
  }
  await stop(baselineProc.child);

  const roundRatios = rounds.switchyard.map((r, i) =>
    Number((r.rps / (rounds.baseline[i]?.rps ?? Number.NaN)).toFixed(2)),
  );
  return {
    ingest: {
      switchyard: median(rounds.switchyard, (r) => r.rps),
      baseline: median(rounds.baseline, (r) => r.rps),
      // A round runs the two back to back, so its ratio is the least touched by the machine's
      // drift; the median of those is the figure.
      ratio: median(roundRatios, (x) => x),
      roundRatios,
      rounds,
    },
    fixedRate: fixedRateOf(s.steadyRate, steady),
  };
}
