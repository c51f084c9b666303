import { runWorkerMain } from "@switchyard/queue";
import { loadEnv } from "./env.ts";
import { actions } from "./worker.ts";

await runWorkerMain(loadEnv(), actions);
