import { type Config, loadConfigOrExit } from "@switchyard/config";

/** The only place ingest reads process.env. */
export const loadEnv = (): Config => loadConfigOrExit(process.env, "ingest");
