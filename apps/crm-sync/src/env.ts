import { type Config, loadConfigOrExit } from "@switchyard/config";

/** The only place crm-sync reads process.env. */
export const loadEnv = (): Config => loadConfigOrExit(process.env, "crm-sync");
