export { billingSync } from "./worker.ts";
