// What every package's `vitest run` shares; each package's vitest.config.ts spreads it into `test`.
// Nothing is imported here: the root has no vitest of its own, each package resolves its own.
export const TEST_DEFAULTS = {
  testTimeout: 30_000,
  // Hooks start databases and servers of their own.
  hookTimeout: 60_000,
  passWithNoTests: true,
  // scripts/test.ts adds up every package's report into `pnpm test`'s closing line.
  reporters: ["default", "json"] as ("default" | "json")[],
  outputFile: { json: ".vitest-report.json" },
};
