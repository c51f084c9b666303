import { type Config, loadConfigOrExit } from "@switchyard/config";

/** The only place support-context reads process.env. */
export const loadEnv = (): Config => loadConfigOrExit(process.env, "support-context");
