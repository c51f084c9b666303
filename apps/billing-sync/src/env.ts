import { type Config, loadConfigOrExit } from "@switchyard/config";

/** The only place billing-sync reads process.env. */
export const loadEnv = (): Config => loadConfigOrExit(process.env, "billing-sync");
