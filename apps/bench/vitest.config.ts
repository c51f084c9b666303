import { defineConfig } from "vitest/config";
import { TEST_DEFAULTS } from "../../vitest.shared.ts";

export default defineConfig({ test: TEST_DEFAULTS });
