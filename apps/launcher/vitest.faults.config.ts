import { defineConfig } from "vitest/config";

/** The fault suite: its own servers, one file at a time, minutes not seconds. */
export default defineConfig({
  test: {
    include: ["src/**/*.faults.ts"],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
