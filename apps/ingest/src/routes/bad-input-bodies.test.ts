import { describe, expect, it } from "vitest";
import { generateEdgeProbes } from "../testing/bad-input/probes.ts";
import { SEED } from "../testing/bad-input/requests.ts";
import { runCases } from "../testing/bad-input/run.ts";
import { themeTests } from "../testing/bad-input/suite.ts";

describe("bad input: bodies, content types and sizes", () => {
  const harness = themeTests("bad_input_bodies", ["bodies"]);

  it("never answers 5xx to a signed, well-shaped event with hostile content", async () => {
    const probes = generateEdgeProbes(SEED + 1);
    const run = await runCases(harness(), probes, "edge", false);
    expect(run.problems, `${run.problems.length} problem(s)\n${run.summary}`).toEqual([]);
  });
});
