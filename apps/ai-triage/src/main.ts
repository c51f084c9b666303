import { runWorkerMain } from "@switchyard/queue";
import { loadEnv } from "./env.ts";
import { aiTriage } from "./worker.ts";

await runWorkerMain(loadEnv(), aiTriage);
