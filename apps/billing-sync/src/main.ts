import { runWorkerMain } from "@switchyard/queue";
import { loadEnv } from "./env.ts";
import { billingSync } from "./worker.ts";

await runWorkerMain(loadEnv(), billingSync);
