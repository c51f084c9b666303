import { type Config, loadConfigOrExit } from "@switchyard/config";

/** The only place admin reads process.env. */
export const loadEnv = (): Config => loadConfigOrExit(process.env, "admin");
