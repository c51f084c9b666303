import { type Config, loadConfigOrExit } from "@switchyard/config";

/** The only place the launcher reads process.env. */
export const loadEnv = (): Config => loadConfigOrExit(process.env, "start");

/** `pnpm demo` wires its own providers (local fakes); the operator's environment supplies the rest. */
export const loadDemoEnv = (overrides: Record<string, string>): Config =>
  loadConfigOrExit({ DATA_DIR: "./.data/demo", QUEUE_PREFIX: "switchyard-demo", ...process.env, ...overrides }, "demo");

/** `pnpm demo --once` sends the day of traffic, prints where to look, and exits (used by the tests). */
export const demoRunsOnce = (): boolean => process.argv.includes("--once");
