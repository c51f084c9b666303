import { type Config, loadConfigOrExit } from "@switchyard/config";

/** The only place the launcher reads process.env. */
export const loadEnv = (): Config => loadConfigOrExit(process.env, "start");
