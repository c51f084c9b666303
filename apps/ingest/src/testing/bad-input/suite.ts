import { afterAll, beforeAll, expect, it } from "vitest";
import { createHarness, type Harness } from "../harness.ts";
import { type Theme, themeCases } from "./cases.ts";
import { SEED } from "./requests.ts";
import { HEALTH_EVERY, type Run, runCases } from "./run.ts";

/**
 * A generated bad-input suite: well over a thousand malformed requests against the real app on
 * Postgres and Redis, split by theme across routes/bad-input-*.test.ts. Every one must get a 4xx
 * in the error shape; none without valid authentication may write a row or a job;
 * authenticated-but-malformed ones may only leave `rejected` rows; /healthz keeps answering
 * throughout.
 */

/** The real ingest app on Postgres and Redis of its own, for the describe block it is called in. */
function badInputHarness(label: string): () => Harness {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ driver: "postgres", label });
  });
  afterAll(() => h.close());
  return () => h;
}

/** Sends one theme's cases, strictly (no job, no accepted row), and prints its summary. */
async function runTheme(h: Harness, theme: Theme): Promise<{ cases: number; run: Run }> {
  const cases = themeCases(theme);
  const run = await runCases(h, cases, "bad", true);
  process.stdout.write(`bad-input summary: ${theme} (seed ${SEED.toString(16)})\n${run.summary}\n`);
  return { cases: cases.length, run };
}

/**
 * Sets up, in the describe block it is called in, the real app (badInputHarness) and one test per
 * theme: its cases all get a known 4xx, none leaves a job or an accepted row, and /healthz keeps
 * answering. Returns the harness, for the block's own further tests.
 */
export function themeTests(label: string, themes: Theme[]): () => Harness {
  const harness = badInputHarness(label);
  it.each(themes)(
    "%s: answers every one with a known 4xx in the error shape, writes nothing unauthenticated, and stays healthy",
    async (theme) => {
      const { cases, run } = await runTheme(harness(), theme);
      expect(run.checkpoints).toBeGreaterThanOrEqual(Math.floor(cases / HEALTH_EVERY));
      expect(run.problems, `${run.problems.length} problem(s)\n${run.summary}`).toEqual([]);
    },
  );
  return harness;
}
