import { type Config, loadConfigOrExit } from "@switchyard/config";

/** The only place actions reads process.env. */
export const loadEnv = (): Config => loadConfigOrExit(process.env, "actions");
