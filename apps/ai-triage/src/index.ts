export { aiTriage } from "./worker.ts";
