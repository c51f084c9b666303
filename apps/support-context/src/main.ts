import { runWorkerMain } from "@switchyard/queue";
import { loadEnv } from "./env.ts";
import { supportContext } from "./worker.ts";

await runWorkerMain(loadEnv(), supportContext);
