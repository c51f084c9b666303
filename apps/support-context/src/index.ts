export { supportContext } from "./worker.ts";
