export { crmSync } from "./worker.ts";
