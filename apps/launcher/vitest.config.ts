import { defineConfig } from "vitest/config";
import { TEST_DEFAULTS } from "../../vitest.shared.ts";

// Most of these files wait (on alerts at their default delays, on shutdown graces, on child
// processes), not compute: three at a time keep the suite within CI's budget on two cores.
export default defineConfig({ test: { ...TEST_DEFAULTS, maxWorkers: 3 } });
