import { type Config, loadConfigOrExit } from "@switchyard/config";

/** The only place ai-triage reads process.env. */
export const loadEnv = (): Config => loadConfigOrExit(process.env, "ai-triage");
