import { runWorkerMain } from "@switchyard/queue";
import { loadEnv } from "./env.ts";
import { crmSync } from "./worker.ts";

await runWorkerMain(loadEnv(), crmSync);
